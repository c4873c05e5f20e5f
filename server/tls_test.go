package server_test

import (
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// startTLS runs a node serving TLS with a fresh test PKI.
func startTLS(t *testing.T) (*fantest.Node, *fantest.PKI) {
	t.Helper()
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
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

// TestTLSClientCA: with server.tls.client_ca the HTTP API answers only a
// client with a certificate from that CA; WebSocket clients and health
// checks need none.
func TestTLSClientCA(t *testing.T) {
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key, cfg.Server.TLS.ClientCA = pki.CertFile, pki.KeyFile, pki.CAFile
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()

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
