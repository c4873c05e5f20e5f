package frame

import (
	"errors"
	"strings"
	"testing"
)

const goodUpgrade = "GET /app/app-key?protocol=7&client=js&version=8.4.0 HTTP/1.1\r\n" +
	"Host: 127.0.0.1:6001\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: keep-alive, Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Origin: https://example.com\r\n" +
	"Authorization: Bearer abc.def.ghi\r\n" +
	"Cookie: a=1\r\n" +
	"cookie: fanout_token=xyz\r\n" +
	"Sec-WebSocket-Protocol: chat\r\n" +
	"Sec-WebSocket-Protocol: bearer.token\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"\r\n"

func TestParseRequestHead(t *testing.T) {
	in := goodUpgrade + "trailing frame bytes"
	h, n, err := ParseRequestHead([]byte(in), 0)
	if err != nil || n != len(goodUpgrade) {
		t.Fatalf("n=%d err=%v, want n=%d", n, err, len(goodUpgrade))
	}
	want := RequestHead{
		Method:        "GET",
		Path:          "/app/app-key",
		RawQuery:      "protocol=7&client=js&version=8.4.0",
		Host:          "127.0.0.1:6001",
		Origin:        "https://example.com",
		Authorization: "Bearer abc.def.ghi",
		Cookie:        "a=1; fanout_token=xyz",
		Protocols:     "chat, bearer.token",
		Extensions:    "permessage-deflate; client_max_window_bits",
		Upgrade:       true,
	}
	if h != want {
		t.Fatalf("got  %+v\nwant %+v", h, want)
	}
}

func TestParseRequestHeadCases(t *testing.T) {
	cases := []struct {
		name        string
		in          string
		max         int
		complete    bool // n must be len(in)
		wantErr     error
		wantUpgrade bool
	}{
		{
			name: "incomplete",
			in:   "GET / HTTP/1.1\r\nHost: x\r\n",
		},
		{
			name:    "too large without a blank line",
			in:      "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 8200),
			wantErr: ErrRequestTooLarge,
		},
		{
			name:    "blank line beyond the limit",
			in:      "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n",
			max:     64,
			wantErr: ErrRequestTooLarge,
		},
		{
			name:     "plain GET, no upgrade",
			in:       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
			complete: true,
		},
		{
			name:        "upgrade tokens any case",
			in:          "GET / HTTP/1.1\r\nupgrade: WebSocket\r\nCONNECTION: upgrade\r\n\r\n",
			complete:    true,
			wantUpgrade: true,
		},
		{
			name:     "Connection without upgrade token",
			in:       "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n",
			complete: true,
		},
		{
			name:    "bad request line",
			in:      "GET /\r\n\r\n",
			wantErr: ErrMalformedRequest,
		},
		{
			name:    "HTTP/2 request line",
			in:      "GET / HTTP/2.0\r\n\r\n",
			wantErr: ErrMalformedRequest,
		},
		{
			name:    "header without colon",
			in:      "GET / HTTP/1.1\r\nHost x\r\n\r\n",
			wantErr: ErrMalformedRequest,
		},
		{
			name:    "folded header",
			in:      "GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n",
			wantErr: ErrMalformedRequest,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := ParseRequestHead([]byte(tc.in), tc.max)
			wantN := 0
			if tc.complete {
				wantN = len(tc.in)
			}
			if !errors.Is(err, tc.wantErr) || n != wantN || h.Upgrade != tc.wantUpgrade {
				t.Fatalf("n=%d err=%v upgrade=%v, want n=%d err=%v upgrade=%v",
					n, err, h.Upgrade, wantN, tc.wantErr, tc.wantUpgrade)
			}
		})
	}
}
