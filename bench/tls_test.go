package bench

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// tlsHub is a hub behind httptest's TLS server (crypto/tls, a
// self-signed certificate for 127.0.0.1 and example.com) that counts its
// WebSocket clients by SNI; ca is that certificate as a PEM file.
type tlsHub struct {
	*hub
	ca string
}

func startTLSHub(t *testing.T) *tlsHub {
	t.Helper()
	h := &tlsHub{hub: newHub(t, httptest.NewTLSServer, func(r *http.Request) string { return r.TLS.ServerName })}
	h.ca = filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.Certificate().Raw})
	if err := os.WriteFile(h.ca, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *tlsHub) wssURL() string { return "wss://" + strings.TrimPrefix(h.URL, "https://") }

// Events published over https reach every wss:// subscriber, verified
// against --ca, with the name from --sni sent and checked.
func TestFanoutOverTLS(t *testing.T) {
	h := startTLSHub(t)
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{h.wssURL()},
		Conns: 40, Channels: 4, Workers: 2, Rate: 40, Publishers: 2, Duration: time.Second, Quiet: true,
		TLS: TLSOptions{CAFile: h.ca, ServerName: "example.com"}}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 40 || res.Failed != 0 {
		t.Fatalf("subscribed %d failed %d (%v)", res.Subscribed, res.Failed, res.Failures)
	}
	allDelivered(t, res, 10)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen["example.com"] != 40 || len(h.seen) != 1 {
		t.Fatalf("server names seen %v, want example.com ×40", h.seen)
	}
}

// Without --ca the self-signed certificate is refused and each failure
// says why; --insecure connects without verifying.
func TestTLSVerification(t *testing.T) {
	h := startTLSHub(t)
	run := func(o TLSOptions) *Result {
		res, err := Execute(testCtx(t), Options{Scenario: "connect", URLs: []string{h.wssURL()},
			Conns: 5, Workers: 1, Duration: 100 * time.Millisecond, Quiet: true, TLS: o}, os.Stderr)
		if err != nil && res == nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(TLSOptions{}); res.Subscribed != 0 || res.Failures["tls: certificate not trusted (--ca or --insecure)"] != 5 {
		t.Fatalf("unverified: subscribed %d failures %v", res.Subscribed, res.Failures)
	}
	if res := run(TLSOptions{Insecure: true}); res.Subscribed != 5 || res.Failed != 0 {
		t.Fatalf("insecure: subscribed %d failures %v", res.Subscribed, res.Failures)
	}
}

// Against a fanout node terminating TLS itself (its event loop and
// crypto/tls record layer), with a CA file as an operator would give it.
func TestFanoutOverTLSAgainstFanout(t *testing.T) {
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	n := fantest.Start(t, cfg, nil)
	app := n.Cfg.Apps[0]
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{"wss://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: 30, Channels: 3, Workers: 1,
		Rate: 30, Publishers: 2, Duration: time.Second, Quiet: true, TLS: TLSOptions{CAFile: pki.CAFile}}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 30 || res.Failed != 0 {
		t.Fatalf("subscribed %d failed %d %v", res.Subscribed, res.Failed, res.Failures)
	}
	allDelivered(t, res, 10)
}
