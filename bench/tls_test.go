package bench

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/bench/peers/gorillahub"
	"github.com/fanout/fanout/internal/fantest"
)

// tlsHub is a gorillahub behind httptest's TLS server (crypto/tls, a
// self-signed certificate for 127.0.0.1 and example.com) that records the
// SNI of each WebSocket client; ca is that certificate as a PEM file.
type tlsHub struct {
	*httptest.Server
	ca  string
	mu  sync.Mutex
	sni map[string]int
}

func startTLSHub(t *testing.T) *tlsHub {
	t.Helper()
	h := &tlsHub{sni: map[string]int{}}
	inner := gorillahub.New(gorillahub.Options{})
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/app/") {
			h.mu.Lock()
			h.sni[r.TLS.ServerName]++
			h.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
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
	if res.Published == 0 || res.PublishFailed != 0 {
		t.Fatalf("published %d failed %d %v", res.Published, res.PublishFailed, res.PublishErrors)
	}
	if res.Expected != res.Published*10 || res.Delivered != res.Expected || res.Missed != 0 {
		t.Fatalf("published %d expected %d delivered %d", res.Published, res.Expected, res.Delivered)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sni["example.com"] != 40 || len(h.sni) != 1 {
		t.Fatalf("server names seen %v, want example.com ×40", h.sni)
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
	if res.Subscribed != 30 || res.Failed != 0 || res.Published == 0 || res.PublishFailed != 0 {
		t.Fatalf("subscribed %d failed %d %v; published %d failed %d %v", res.Subscribed, res.Failed,
			res.Failures, res.Published, res.PublishFailed, res.PublishErrors)
	}
	if res.Delivered != res.Published*10 || res.Missed != 0 {
		t.Fatalf("published %d delivered %d", res.Published, res.Delivered)
	}
}
