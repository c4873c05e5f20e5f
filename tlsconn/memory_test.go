//go:build !race

package tlsconn_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/tlsconn"
)

// idleHandler serves connections that stay idle: with a TLS server each
// gets a Session, without one the connection is plain (the reference).
type idleHandler struct {
	srv         *tlsconn.Server
	established atomic.Int64
}

func (h *idleHandler) OnOpen(pc *poller.Conn) {
	if h.srv != nil {
		pc.SetCodec(h.srv.NewSession(pc, time.Now().Add(20*time.Second)))
	}
}

func (h *idleHandler) OnData(_ *poller.Conn, data []byte) int { return len(data) }

func (h *idleHandler) OnClose(pc *poller.Conn, _ error) {
	if h.srv != nil {
		pc.Codec().(*tlsconn.Session).Close()
	}
}

// idleHeap opens up to high connections to a poller serving h (TLS 1.3
// when h.srv is set), and returns the live heap per connection between
// low and high, after a collection. The clients are in this process:
// each keeps only its socket once its handshake is done (its tls.Conn is
// garbage), which costs the same with and without TLS, so that the
// difference of two runs is the server's per-connection TLS state.
func idleHeap(t *testing.T, h *idleHandler, pki *fantest.PKI, low, high int) float64 {
	t.Helper()
	p, err := poller.Listen("127.0.0.1:0", h, poller.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Serve()
	var socks []net.Conn
	t.Cleanup(func() {
		for _, c := range socks {
			c.Close()
		}
		p.Close()
	})
	addr := p.Addr().String()
	dial := func(n int) {
		for len(socks) < n {
			raw, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			socks = append(socks, raw)
			if h.srv == nil {
				continue
			}
			cfg := pki.ClientConfig()
			cfg.MinVersion = tls.VersionTLS13
			c := tls.Client(raw, cfg)
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Time{})
		}
		if h.srv != nil {
			deadline := time.Now().Add(30 * time.Second)
			for h.established.Load() < int64(n) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d sessions established", h.established.Load(), n)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	dial(low)
	heap1 := liveHeap(t, "low")
	dial(high)
	heap2 := liveHeap(t, "high")
	return float64(heap2-heap1) / float64(high-low)
}

func liveHeap(t *testing.T, stage string) uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if prof := os.Getenv("FANOUT_HEAPPROFILE"); prof != "" {
		f, err := os.Create(prof + "." + filepath.Base(t.Name()) + "." + stage)
		if err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	return ms.HeapAlloc
}

// TestIdleSessionHeap: what the server keeps for an idle TLS 1.3
// connection once its record layer carries it, over what it keeps for a
// plain one, measured as the live heap per connection between 100 and
// 600 connections after a collection. By construction it is the poller's
// codec reference (16 B), the Session (32 B) and the record layer (280 B
// in the 288 B class): 336 B. The bound leaves room for the measurement's
// noise and fails when the Session keeps its transport (176 B) again.
//
// FANOUT_HEAPPROFILE=file writes heap profiles of every allocation,
// file.<case>.low and file.<case>.high:
//
//	go tool pprof -sample_index=inuse_space -top -diff_base file.tls.low file.tls.high
func TestIdleSessionHeap(t *testing.T) {
	const low, high, bound = 100, 600, 400
	if os.Getenv("FANOUT_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	pki := fantest.NewPKI(t)
	var plain, withTLS float64
	t.Run("plain", func(t *testing.T) {
		plain = idleHeap(t, &idleHandler{}, pki, low, high)
	})
	t.Run("tls", func(t *testing.T) {
		certs, err := tlsconn.LoadCerts(pki.CertFile, pki.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		h := &idleHandler{}
		h.srv, err = tlsconn.NewServer(tlsconn.Options{Certs: certs, Established: func(uint16, tlsconn.RecordLayer) {
			h.established.Add(1)
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.srv.Close)
		withTLS = idleHeap(t, h, pki, low, high)
	})
	state := withTLS - plain
	t.Logf("live heap per idle connection: plain %.0f B, TLS 1.3 %.0f B: TLS state %.0f B", plain, withTLS, state)
	if state > bound {
		t.Errorf("an idle TLS 1.3 connection keeps %.0f B over a plain one, want at most %d", state, bound)
	}
}
