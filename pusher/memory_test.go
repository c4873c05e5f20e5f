//go:build !race

package pusher_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// The memory of an idle socket: the server runs in this process, the
// clients in child processes (this test binary again, as
// TestHelperIdleClients), so that 18,000 server sockets fit under the
// per-process open-file limit. The figure is the slope of this process's
// RSS, after a GC that returns freed pages to the OS, between 5,000 and
// 18,000 idle, subscribed connections. Not under -race: the race
// detector's shadow memory would be most of what is measured.
//
//	go test -run TestIdleConnectionMemory -count=1 -v ./pusher
//
// FANOUT_HEAPPROFILE=file records every allocation and writes heap
// profiles file.5000 and file.18000; their difference is where the bytes
// of 13,000 connections go:
//
//	go tool pprof -sample_index=inuse_space -top -diff_base file.5000 file.18000
func TestIdleConnectionMemory(t *testing.T) {
	measureIdleMemory(t, fantest.Config(), "-", 2048)
}

// TestIdleTLSConnectionMemory is the same measurement over wss://, the
// node terminating TLS (an ECDSA P-256 leaf, TLS 1.3):
//
//	go test -run TestIdleTLSConnectionMemory -count=1 -v ./pusher
func TestIdleTLSConnectionMemory(t *testing.T) {
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	measureIdleMemory(t, cfg, pki.CAFile, 16<<10)
}

// measureIdleMemory runs the slope measurement against a node with cfg,
// the clients trusting caFile ("-": plain ws://); it fails above bound
// bytes per connection.
func measureIdleMemory(t *testing.T, cfg config.Config, caFile string, bound float64) {
	const low, high = 5000, 18000
	prof := os.Getenv("FANOUT_HEAPPROFILE")
	if prof != "" {
		runtime.MemProfileRate = 1 // every allocation, for an exact breakdown
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	n := fantest.Start(t, cfg, nil)

	startIdleClientsTLS(t, n.Addr(), low, 0, caFile)
	waitConns(t, n, low)
	rss1, heap1 := settledMemory()
	if prof != "" {
		writeHeapProfile(t, fmt.Sprintf("%s.%d", prof, low))
	}
	startIdleClientsTLS(t, n.Addr(), high-low, low, caFile)
	waitConns(t, n, high)
	rss2, heap2 := settledMemory()
	if prof != "" {
		writeHeapProfile(t, fmt.Sprintf("%s.%d", prof, high))
	}
	rssSlope := float64(rss2-rss1) / (high - low)
	heapSlope := float64(heap2-heap1) / (high - low)
	t.Logf("RSS %d -> %d KiB, heap in use %d -> %d KiB between %d and %d idle subscribed connections",
		rss1>>10, rss2>>10, heap1>>10, heap2>>10, low, high)
	t.Logf("per connection: RSS slope %.0f B, heap slope %.0f B", rssSlope, heapSlope)
	if rssSlope > bound {
		t.Errorf("RSS per idle connection %.0f B, want at most %.0f", rssSlope, bound)
	}
}

// settledMemory collects garbage, returns freed pages to the OS, and
// reads VmRSS and the heap in use.
func settledMemory() (rss, heap int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss = kb << 10
		}
	}
	return rss, int64(ms.HeapInuse)
}

func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
