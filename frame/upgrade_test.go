package frame

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestAppendUpgradeResponse(t *testing.T) {
	head := []byte(goodUpgrade)
	out, err := AppendUpgradeResponse([]byte("keep:"), head, UpgradeOptions{Protocol: "bearer.token", Deflate: true})
	if err != nil {
		t.Fatal(err)
	}
	resp := string(out)
	for _, want := range []string{
		"keep:HTTP/1.1 101 Switching Protocols\r\n",
		"Upgrade: websocket\r\n",
		"Connection: Upgrade\r\n",
		// RFC 6455 1.3's worked example key and accept value.
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
		"Sec-WebSocket-Protocol: bearer.token\r\n",
		"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n",
	} {
		if !strings.Contains(resp, want) {
			t.Errorf("response lacks %q:\n%s", want, resp)
		}
	}
	if !strings.HasSuffix(resp, "\r\n\r\n") {
		t.Errorf("response not terminated: %q", resp)
	}

	out, err = AppendUpgradeResponse(nil, head, UpgradeOptions{Protocol: "not-offered"})
	if err != nil || strings.Contains(string(out), "Sec-WebSocket-Protocol") || strings.Contains(string(out), "Extensions") {
		t.Fatalf("unoffered protocol echoed or extension added: %q %v", out, err)
	}
}

func TestAppendUpgradeResponseRejects(t *testing.T) {
	base := goodUpgrade
	cases := []struct {
		name   string
		head   string
		status int
	}{
		{
			name:   "wrong version",
			head:   strings.Replace(base, "Version: 13", "Version: 8", 1),
			status: http.StatusUpgradeRequired,
		},
		{
			name:   "missing key",
			head:   strings.Replace(base, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1),
			status: http.StatusBadRequest,
		},
		{
			name:   "short key",
			head:   strings.Replace(base, "dGhlIHNhbXBsZSBub25jZQ==", "abc", 1),
			status: http.StatusBadRequest,
		},
		{
			name:   "POST",
			head:   strings.Replace(base, "GET", "POST", 1),
			status: http.StatusMethodNotAllowed,
		},
		{
			name:   "no Upgrade header",
			head:   strings.Replace(base, "Upgrade: websocket\r\n", "", 1),
			status: http.StatusBadRequest,
		},
		{
			name:   "cut short",
			head:   "GET / HTTP/1.1\r\nHost: x\r\n",
			status: http.StatusBadRequest,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := AppendUpgradeResponse(nil, []byte(tc.head), UpgradeOptions{})
			var he HandshakeError
			if !errors.As(err, &he) || he.Status != tc.status {
				t.Fatalf("err = %v, want HandshakeError %d", err, tc.status)
			}
			resp := string(out)
			if !strings.HasPrefix(resp, "HTTP/1.1 "+itoa(tc.status)+" ") || !strings.Contains(resp, "\r\nConnection: close\r\n") {
				t.Fatalf("response %q", resp)
			}
			if tc.status == http.StatusUpgradeRequired && !strings.Contains(resp, "Sec-WebSocket-Version: 13\r\n") {
				t.Fatalf("426 without the supported version: %q", resp)
			}
		})
	}
}

func TestAppendHTTPError(t *testing.T) {
	got := string(AppendHTTPError(nil, http.StatusForbidden, "origin not allowed"))
	want := "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\n\r\norigin not allowed"
	if got != want {
		t.Fatalf("got %q", got)
	}
}
