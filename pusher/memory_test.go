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
// 18,000 idle, subscribed connections, for two kinds of connection:
//
//   - anonymous: auth off, one public channel;
//   - authenticated: auth required, an HS256 JWT in the token query
//     parameter with a 6-character sub, exp and a channels grant
//     "private-<sub>.*", one public channel, and for one connection in
//     four a presence channel as well (signed with the Pusher HMAC, the
//     member being the token's user).
//
// Not under -race: the race detector's shadow memory would be most of
// what is measured.
//
//	go test -run TestIdleConnectionMemory -count=1 -v ./pusher
//
// FANOUT_HEAPPROFILE=file records every allocation and writes heap
// profiles file.<case>.5000 and file.<case>.18000; their difference is
// where the bytes of 13,000 connections go:
//
//	go tool pprof -sample_index=inuse_space -top -diff_base file.auth.5000 file.auth.18000
func TestIdleConnectionMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth bool
	}{{"anonymous", false}, {"auth", true}} {
		t.Run(tc.name, func(t *testing.T) { idleConnectionMemory(t, tc.name, tc.auth) })
	}
}

func idleConnectionMemory(t *testing.T, name string, authed bool) {
	const low, high = 5000, 18000
	prof := os.Getenv("FANOUT_HEAPPROFILE")
	if prof != "" {
		runtime.MemProfileRate = 1 // every allocation, for an exact breakdown
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	cfg := fantest.Config()
	if authed {
		cfg.Apps[0].Auth.Mode = config.AuthRequired
	}
	n := fantest.Start(t, cfg, nil)
	clients := idleClients{addr: n.Addr(), authed: authed}

	clients.start(t, low, 0)
	waitConns(t, n, low)
	rss1, heap1 := settledMemory()
	if prof != "" {
		writeHeapProfile(t, fmt.Sprintf("%s.%s.%d", prof, name, low))
	}
	clients.start(t, high-low, low)
	waitConns(t, n, high)
	rss2, heap2 := settledMemory()
	if prof != "" {
		writeHeapProfile(t, fmt.Sprintf("%s.%s.%d", prof, name, high))
	}
	rssSlope := float64(rss2-rss1) / (high - low)
	heapSlope := float64(heap2-heap1) / (high - low)
	t.Logf("%s: RSS %d -> %d KiB, heap in use %d -> %d KiB between %d and %d idle subscribed connections",
		name, rss1>>10, rss2>>10, heap1>>10, heap2>>10, low, high)
	t.Logf("%s: per connection: RSS slope %.0f B, heap slope %.0f B", name, rssSlope, heapSlope)
	if rssSlope > 2048 {
		t.Errorf("%s: RSS per idle connection %.0f B, want at most 2048 (target 1024)", name, rssSlope)
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
