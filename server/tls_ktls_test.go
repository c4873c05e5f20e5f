package server_test

import (
	"crypto/tls"
	"os"
	"testing"

	"github.com/fanout/fanout/tlsconn"
)

// TestTLSKernel runs the server's TLS 1.3 path through kernel TLS where
// the kernel has it (make ktls-vm; skipped elsewhere, failed instead with
// FANOUT_KTLS_REQUIRE): a wss:// client subscribes, an event published
// over https on the same port (the HTTP API's request leaves the loop
// for net/http, over the kernel's session) reaches it, and
// fanout_tls_ktls_total counts both connections as handed to the kernel.
// With server.tls.ktls off no connection is.
func TestTLSKernel(t *testing.T) {
	if ok, err := tlsconn.KernelTLS(); !ok {
		if os.Getenv("FANOUT_KTLS_REQUIRE") != "" {
			t.Fatalf("FANOUT_KTLS_REQUIRE is set and the kernel has no TLS: %v", err)
		}
		t.Skipf("kernel TLS not available (%v): run make ktls-vm", err)
	}
	for _, mode := range []string{"auto", "off"} {
		t.Run(mode, func(t *testing.T) {
			n, pki := startTLSWith(t, mode)
			cfg := pki.ClientConfig()
			cfg.MinVersion = tls.VersionTLS13
			c := dialTLS(t, n, cfg)
			c.Subscribe("kernel")
			for i := 0; i < 2; i++ {
				if st, body := n.Publish(t, n.Cfg.Apps[0], "kernel", "flash", "through the kernel"); st != 200 {
					t.Fatalf("https publish: %d %s", st, body)
				}
				if ev := c.Expect("flash"); ev.DataString() != "through the kernel" {
					t.Fatalf("got %q", ev.DataString())
				}
			}
			m := scrape(t, n)
			on := m[`fanout_tls_ktls_total{event="on"}`]
			if mode == "auto" && on < 2 || mode == "off" && on != 0 {
				t.Fatalf("ktls %s: fanout_tls_ktls_total{event=\"on\"} = %v", mode, on)
			}
			if m["fanout_tls_ktls_available"] != 1 {
				t.Fatal("fanout_tls_ktls_available is not 1")
			}
		})
	}
}
