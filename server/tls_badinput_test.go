package server_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// clientHello returns the first record a Go TLS client sends.
func clientHello(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	a, b := net.Pipe()
	go func() { _ = tls.Client(a, cfg).Handshake(); a.Close() }()
	_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 5)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(head[3])<<8|int(head[4]))
	if _, err := io.ReadFull(b, body); err != nil {
		t.Fatal(err)
	}
	b.Close()
	return append(head, body...)
}

// closedWithin reports whether the server closes c within d (reading and
// discarding whatever it sends first, such as an alert).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestTLSBadInput sends what a broken or hostile client might instead of
// a handshake; each is refused, and a subscribed wss client on the same
// node keeps receiving throughout; goroutines return to their baseline.
func TestTLSBadInput(t *testing.T) {
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	// Long enough for a good handshake under the race detector on a busy
	// machine, short enough that a trickled hello (about 30 s if never
	// cut) is cut well within 10 s. "At once" below means well inside
	// this deadline.
	cfg.Server.UpgradeTimeout = 5 * time.Second
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()
	hello := clientHello(t, pki.ClientConfig())
	n.HTTPClient()
	baseline := runtime.NumGoroutine()

	good := dialTLS(t, n, n.ClientTLS)
	good.Subscribe("news")
	still := func(what string) {
		t.Helper()
		if st, body := n.Publish(t, cfg.Apps[0], "news", "flash", what); st != 200 {
			t.Fatalf("%s: publish %d %s", what, st, body)
		}
		if ev := good.Expect("flash"); ev.DataString() != what {
			t.Fatalf("%s: got %q", what, ev.DataString())
		}
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("garbage", func(t *testing.T) {
		c := dial()
		_, _ = c.Write([]byte("\x00\x01garbage, not a ClientHello\r\n\r\n"))
		if !closedWithin(c, 2*time.Second) { // at once, not at the deadline
			t.Fatal("garbage not refused at once")
		}
		if m := scrape(t, n); m[`fanout_tls_handshakes_total{result="failed"}`] < 1 {
			t.Error("a refused first flight is not counted as a failed handshake")
		}
		still("after garbage")
	})
	t.Run("plain http on the tls port", func(t *testing.T) {
		c := dial()
		_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := io.ReadAll(c) // at once, not at the deadline
		if err != nil || !strings.HasPrefix(string(resp), "HTTP/1.0 400 ") || !strings.Contains(string(resp), "HTTPS server") {
			t.Fatalf("plain HTTP on the TLS port: %q %v, want a 400 that says why", resp, err)
		}
	})
	t.Run("truncated hello", func(t *testing.T) {
		failed := func() float64 { return scrape(t, n)[`fanout_tls_handshakes_total{result="failed"}`] }
		before := failed()
		c := dial()
		_, _ = c.Write(hello[:len(hello)/2])
		if !closedWithin(c, 10*time.Second) {
			t.Fatal("truncated ClientHello kept past the upgrade deadline")
		}
		for end := time.Now().Add(5 * time.Second); failed() == before && time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond) // the close is counted just after the socket ends
		}
		if failed() != before+1 {
			t.Errorf("a ClientHello cut at the deadline counted %v failed handshakes, want 1", failed()-before)
		}
		still("after truncated hello")
	})
	t.Run("trickle", func(t *testing.T) {
		c := dial()
		start := time.Now()
		closed := make(chan struct{})
		go func() { closedWithin(c, 15*time.Second); close(closed) }()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(hello); i++ { // about 30 s if never cut off
			select {
			case <-closed:
				if time.Since(start) > 10*time.Second {
					t.Fatalf("trickling client cut off only after %v", time.Since(start))
				}
				still("after trickle")
				return
			case <-tick.C:
				_, _ = c.Write(hello[i : i+1])
			}
		}
		t.Fatal("a ClientHello trickled byte by byte was accepted to the end")
	})
	t.Run("tls 1.0 only", func(t *testing.T) {
		old := pki.ClientConfig()
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
		c, err := tls.Dial("tcp", n.Addr(), old)
		if err == nil {
			c.Close()
			t.Fatal("a TLS 1.0 handshake succeeded")
		}
		if !strings.Contains(err.Error(), "protocol version") {
			t.Fatalf("TLS 1.0 refused with %v, want a protocol_version alert", err)
		}
		still("after tls 1.0")
	})
	t.Run("client that stops reading", func(t *testing.T) {
		stuck := dialTLS(t, n, n.ClientTLS)
		stuck.Subscribe("big")
		data := strings.Repeat("x", 9000)
		slow := func() bool { return scrape(t, n)["fanout_slow_consumer_disconnects_total"] > 0 }
		for i := 0; i < 2000 && !slow(); i++ { // 18 MB at most; the queue bound is 1 MiB
			n.Publish(t, cfg.Apps[0], "big", "blob", data)
		}
		if !slow() {
			t.Fatal("a client that does not read was never found a slow consumer")
		}
		closed := func() bool { return n.Pusher.Conns() == 1 }
		for end := time.Now().Add(10 * time.Second); !closed() && time.Now().Before(end); { // close timeout 5 s
			time.Sleep(20 * time.Millisecond)
		}
		if !closed() {
			t.Fatal("a client that does not read was never closed as a slow consumer")
		}
		still("after slow consumer")
	})

	good.Conn.Close()
	n.HTTPClient().CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()    // the metrics scrapes
	deadline := time.Now().Add(10 * time.Second) // the handshake pool's idle workers expire after 1 s
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, baseline %d:\n%s", g, baseline, buf[:runtime.Stack(buf, true)])
	}
}
