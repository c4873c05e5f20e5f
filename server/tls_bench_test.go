package server_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// BenchmarkTLSHandshake compares full TLS 1.3 handshakes (ECDSA P-256
// leaf, no resumption) on fanout's event loop against a Go net/http TLS
// server with the same certificate and tls.Config rules. Each iteration
// dials, completes the handshake, sends GET /healthz and reads the
// answer, so the server has finished its side; clients run in parallel
// in this process and their cost is the same for both servers.
//
//	go test -run '^$' -bench TLSHandshake -benchtime 5s ./server
func BenchmarkTLSHandshake(b *testing.B) {
	pki := fantest.NewPKI(b)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	n := fantest.Start(b, cfg, nil)
	b.Run("fanout", func(b *testing.B) { handshakes(b, n.Addr(), pki.ClientConfig()) })

	pair, err := tls.LoadX509KeyPair(pki.CertFile, pki.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}, NextProtos: []string{"http/1.1"}}}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	b.Cleanup(func() { _ = srv.Close() })
	b.Run("net-http", func(b *testing.B) { handshakes(b, l.Addr().String(), pki.ClientConfig()) })
}

func handshakes(b *testing.B, addr string, cfg *tls.Config) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := tls.Dial("tcp", addr, cfg)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err != nil || !strings.Contains(line, "200") {
				b.Errorf("answer %q %v", line, err)
				return
			}
		}
	})
}
