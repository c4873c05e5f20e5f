package tlsconn

import (
	"crypto/tls"
	"sync"
	"testing"
	"time"
)

// TestWarmSetKeepsWhileUsed: a layer keeps its write AEAD while it seals
// between sweeps and drops it after a sweep period without a seal.
func TestWarmSetKeepsWhileUsed(t *testing.T) {
	w := &warmSet{} // swept by hand
	server, client := pair(t, tls.TLS_AES_128_GCM_SHA256)
	server.warm = w
	for i := range 3 {
		wire := must(server.seal([]byte("tick")))
		if got, _, err := client.open(nil, wire); err != nil || string(got) != "tick" {
			t.Fatalf("seal %d: %q %v", i, got, err)
		}
		w.sweep()
		if server.wbox.Load() == nil || w.size() != 1 {
			t.Fatalf("seal %d: dropped while in use (listed %d)", i, w.size())
		}
	}
	w.sweep()
	if server.wbox.Load() != nil || w.size() != 0 {
		t.Fatalf("idle for a period: still holds its AEAD (listed %d)", w.size())
	}
	if got, _, err := client.open(nil, must(server.seal([]byte("again")))); err != nil || string(got) != "again" || w.size() != 1 {
		t.Fatalf("after the drop: %q %v, listed %d", got, err, w.size())
	}
}

// TestWarmSetRacesSeal: seals from many goroutines (serialized per
// connection, as the poller does) while sweeps run; once the seals stop,
// two sweeps leave no layer holding an AEAD or listed.
func TestWarmSetRacesSeal(t *testing.T) {
	w := newWarmSet(time.Millisecond)
	defer w.close()
	var wg sync.WaitGroup
	layers := make([]*records, 8)
	for i := range layers {
		server, client := pair(t, tls.TLS_CHACHA20_POLY1305_SHA256)
		server.warm = w
		layers[i] = server
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				if _, _, err := client.open(nil, must(server.seal([]byte("x")))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for end := time.Now().Add(10 * time.Second); w.size() > 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	for i, r := range layers {
		if r.wbox.Load() != nil || r.listed.Load() {
			t.Fatalf("layer %d holds its AEAD after the seals stopped (listed %v)", i, r.listed.Load())
		}
	}
}
