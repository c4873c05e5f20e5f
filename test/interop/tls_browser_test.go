package interop

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// TestBrowserOverTLS: headless Chromium loads an https page whose
// pusher-js (forceTLS) connects to fanout terminating TLS itself, and
// receives an event published through fanout's https API. Chromium
// accepts the test leaf through --ignore-certificate-errors-spki-list
// (its public key pinned), as it has no test CA in a trust store.
func TestBrowserOverTLS(t *testing.T) {
	needAuthClients(t, true)
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()
	app := cfg.Apps[0]
	host, port, _ := net.SplitHostPort(n.Addr())

	pair, err := tls.LoadX509KeyPair(pki.CertFile, pki.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	pin := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, "browser/tls.html") })
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		c, _ := json.Marshal(map[string]any{"host": host, "port": mustAtoi(port), "key": app.Key})
		fmt.Fprintf(w, "window.FANOUT = %s;\n", c)
	})
	mux.HandleFunc("GET /pusher.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, "node_modules/pusher-js/dist/web/pusher.min.js")
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		if st, body := n.Publish(t, app, "tls-news", "flash", `{"text":"over wss"}`); st != 200 {
			http.Error(w, body, http.StatusBadGateway)
		}
	})
	l, pagePort := listenLoopback(t)
	page := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}}
	go func() { _ = page.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = page.Close() })

	results, out := runPages(t, []string{"CHROMIUM=" + chromiumPath(), "SPKI_PINS=" + base64.StdEncoding.EncodeToString(pin[:])},
		fmt.Sprintf("https://127.0.0.1:%d/", pagePort))
	var r pageResult
	if len(results) > 0 {
		r = results[0]
	}
	if !r.OK {
		t.Fatalf("browser over TLS: %+v\n%s", r, out)
	}
}
