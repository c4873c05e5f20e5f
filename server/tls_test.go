package server_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
)

// startTLS runs a node serving TLS with a fresh test PKI.
func startTLS(t *testing.T) (*fantest.Node, *fantest.PKI) {
	t.Helper()
	return startTLSWith(t, "auto")
}

// startTLSWith is startTLS with server.tls.ktls set to ktls.
func startTLSWith(t *testing.T, ktls string) (*fantest.Node, *fantest.PKI) {
	t.Helper()
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	cfg.Server.TLS.KTLS = ktls
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()
	return n, pki
}

// startMutualTLS is startTLS with the PKI's CA as server.tls.client_ca:
// the HTTP API then needs a client certificate.
func startMutualTLS(t *testing.T) (*fantest.Node, *fantest.PKI) {
	t.Helper()
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key, cfg.Server.TLS.ClientCA = pki.CertFile, pki.KeyFile, pki.CAFile
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()
	return n, pki
}

// dialTLS opens a wss:// connection with cfg and waits for
// connection_established.
func dialTLS(t *testing.T, n *fantest.Node, cfg *tls.Config) *fantest.Client {
	t.Helper()
	c, err := fantest.DialTLS(t, n.URL("app-key"), nil, cfg)
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	c.Expect("pusher:connection_established")
	return c
}

// TestTLSEndToEnd: a wss:// client subscribes and receives an event
// published through the HTTP API over https on the same port, with TLS
// 1.3 and with TLS 1.2.
func TestTLSEndToEnd(t *testing.T) {
	n, pki := startTLS(t)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := pki.ClientConfig()
		cfg.MinVersion, cfg.MaxVersion = v, v
		c := dialTLS(t, n, cfg)
		c.Subscribe("news")
		if st, body := n.Publish(t, n.Cfg.Apps[0], "news", "flash", "over tls"); st != 200 {
			t.Fatalf("https publish: %d %s", st, body)
		}
		if ev := c.Expect("flash"); ev.DataString() != "over tls" {
			t.Fatalf("version %x: got %q", v, ev.DataString())
		}
	}
	m := scrape(t, n)
	if m[`fanout_tls_handshakes_total{result="ok"}`] < 3 { // two wss, at least one https
		t.Errorf("handshake metric %v", m[`fanout_tls_handshakes_total{result="ok"}`])
	}
	if _, ok := m["fanout_tls_ktls_available"]; !ok {
		t.Error("fanout_tls_ktls_available missing")
	}
	if m["fanout_tls_certificate_expiry_timestamp_seconds"] == 0 {
		t.Error("certificate expiry metric missing")
	}
}

// TestTLSRecordLayers: a TLS 1.3 connection moves to fanout's own record
// layer after its handshake and a TLS 1.2 one stays on crypto/tls, and
// fanout_tls_connections_total counts each by version and record layer.
func TestTLSRecordLayers(t *testing.T) {
	n, pki := startTLS(t)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		cfg := pki.ClientConfig()
		cfg.MinVersion, cfg.MaxVersion = v, v
		c := dialTLS(t, n, cfg)
		c.Subscribe("layers")
	}
	m := scrape(t, n)
	for _, k := range []string{
		`fanout_tls_connections_total{version="1.3",record_layer="fanout"}`,
		`fanout_tls_connections_total{version="1.2",record_layer="crypto/tls"}`,
	} {
		if m[k] < 1 {
			t.Errorf("%s = %v, want at least 1", k, m[k])
		}
	}
}

// TestTLSClientCA: with server.tls.client_ca the HTTP API answers only a
// client with a certificate from that CA; WebSocket clients and health
// checks need none.
func TestTLSClientCA(t *testing.T) {
	n, pki := startMutualTLS(t)
	cfg := n.Cfg

	c := dialTLS(t, n, n.ClientTLS) // a browser has no client certificate
	c.Subscribe("news")
	if st, body := n.Publish(t, cfg.Apps[0], "news", "flash", "x"); st != http.StatusForbidden || body != `{"error":"client certificate required"}` {
		t.Fatalf("API without a client certificate: %d %s, want 403 with a JSON error", st, body)
	}
	if resp, err := n.HTTPClient().Get(n.HTTPBase() + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz without a client certificate: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	certFile, keyFile := pki.Issue(t, 9, filepath.Join(t.TempDir(), "client"))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	n.HTTPClient().CloseIdleConnections()
	n.ClientTLS.Certificates = []tls.Certificate{pair}
	n2 := &fantest.Node{Node: n.Node, Cfg: n.Cfg, ClientTLS: n.ClientTLS} // a fresh client with the certificate
	if st, body := n2.Publish(t, cfg.Apps[0], "news", "flash", "with cert"); st != 200 {
		t.Fatalf("API with a client certificate: %d %s", st, body)
	}
	if ev := c.Expect("flash"); ev.DataString() != "with cert" {
		t.Fatalf("got %q", ev.DataString())
	}
}

// rawTLS sends requests, in one write, on one TLS connection without a
// client certificate, and returns the answers read back in order.
func rawTLS(t *testing.T, n *fantest.Node, requests ...string) []*http.Response {
	t.Helper()
	c, err := tls.Dial("tcp", n.Addr(), n.ClientTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, strings.Join(requests, "")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var out []*http.Response
	for range requests {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("answer %d of %d: %v", len(out)+1, len(requests), err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		out = append(out, resp)
	}
	return out
}

// signedPublish is a signed POST of one event as request text, to target
// (the path as sent) signed for path.
func signedPublish(target, path string) string {
	body := `{"name":"flash","channel":"news","data":"no cert"}`
	q := auth.SignRequest("POST", path, nil, []byte(body), "app-key", "app-secret", time.Now())
	return "POST " + target + "?" + q.Encode() + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// TestTLSClientCANotBypassed: the client certificate the HTTP API needs
// under mutual TLS cannot be skipped by sending the API call second on a
// kept-alive connection, by percent-encoding its path or by the absolute
// form of its target: each is refused with 403, the event not published.
func TestTLSClientCANotBypassed(t *testing.T) {
	n, _ := startMutualTLS(t)
	watch := dialTLS(t, n, n.ClientTLS)
	watch.Subscribe("news")
	const path = "/apps/app-id/events"
	for name, reqs := range map[string][]string{
		"second on a kept-alive connection": {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", signedPublish(path, path)},
		"percent-encoded path":              {signedPublish("/%61pps/app-id/events", path)},
		"absolute form":                     {signedPublish("https://x"+path, path)},
	} {
		resps := rawTLS(t, n, reqs...)
		if last := resps[len(resps)-1]; last.StatusCode != http.StatusForbidden {
			body, _ := io.ReadAll(last.Body)
			t.Errorf("%s: %d %s, want 403", name, last.StatusCode, body)
		}
	}
	if _, err := watch.NextErr(500 * time.Millisecond); err == nil {
		t.Fatal("an event was published without a client certificate")
	}
}

// TestTLSStreamOnKeptAliveConnection: an event-stream request after a
// plain request on one TLS connection cannot go back to the loop (the
// TLS session lives in net/http's copy of the connection), so it is
// answered 503 with a JSON error, as documented, not dropped.
func TestTLSStreamOnKeptAliveConnection(t *testing.T) {
	n, _ := startTLS(t)
	resps := rawTLS(t, n, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET /app/app-key/sse?channel=news HTTP/1.1\r\nHost: x\r\n\r\n")
	last := resps[1]
	body, _ := io.ReadAll(last.Body)
	if last.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("stream after a plain request over TLS: %d %s, want 503 with a JSON error", last.StatusCode, body)
	}
}
