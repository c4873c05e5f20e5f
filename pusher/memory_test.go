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
	"time"

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
//     member being the token's user; FANOUT_IDLE_PRESENCE=N makes it one
//     in N, 0 none).
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
//
// FANOUT_IDLE_SERVER="ADDR PID" measures a fanout serve process instead,
// from outside, with the same clients (see memoryTarget):
//
//	fanout serve --addr 127.0.0.1:6101 --metrics-addr "" --auth-mode required & # or off
//	FANOUT_IDLE_SERVER="127.0.0.1:6101 $!" go test -run 'TestIdleConnectionMemory/auth' -count=1 -v ./pusher
func TestIdleConnectionMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth bool
	}{{"anonymous", false}, {"auth", true}} {
		t.Run(tc.name, func(t *testing.T) { idleConnectionMemory(t, tc.name, tc.auth, nil, 2048) })
	}
}

// TestIdleTLSConnectionMemory is the anonymous measurement over wss://,
// the node terminating TLS (an ECDSA P-256 leaf, TLS 1.3):
//
//	go test -run TestIdleTLSConnectionMemory -count=1 -v ./pusher
func TestIdleTLSConnectionMemory(t *testing.T) {
	idleConnectionMemory(t, "tls", false, fantest.NewPKI(t), 2048)
}

// idleConnectionMemory measures the RSS slope per idle subscribed
// connection (over wss:// when pki is set) and fails above bound bytes.
func idleConnectionMemory(t *testing.T, name string, authed bool, pki *fantest.PKI, bound float64) {
	const low, high = 5000, 18000
	target := newMemoryTarget(t, authed, pki)
	prof := os.Getenv("FANOUT_HEAPPROFILE")
	if prof != "" && target.node != nil {
		runtime.MemProfileRate = 1 // every allocation, for an exact breakdown
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	clients := idleClients{addr: target.addr, authed: authed}
	if pki != nil {
		clients.caFile = pki.CAFile
	}
	if authed {
		// One in four by default (45 members per presence channel at
		// 18,000); FANOUT_IDLE_PRESENCE=0 leaves presence out.
		clients.presenceEvery = 4
		if v := os.Getenv("FANOUT_IDLE_PRESENCE"); v != "" {
			clients.presenceEvery, _ = strconv.Atoi(v)
		}
	}
	measure := func(count int) (rss, heap int64) {
		if target.node != nil {
			waitConns(t, target.node, count)
		}
		rss, heap = target.settled(t)
		if prof != "" && target.node != nil {
			writeHeapProfile(t, fmt.Sprintf("%s.%s.%d", prof, name, count))
		}
		return rss, heap
	}
	clients.start(t, low, 0)
	rss1, heap1 := measure(low)
	clients.start(t, high-low, low)
	rss2, heap2 := measure(high)
	rssSlope := float64(rss2-rss1) / (high - low)
	heapSlope := float64(heap2-heap1) / (high - low)
	t.Logf("%s: RSS %d -> %d KiB, heap in use %d -> %d KiB between %d and %d idle subscribed connections",
		name, rss1>>10, rss2>>10, heap1>>10, heap2>>10, low, high)
	t.Logf("%s: per connection: RSS slope %.0f B, heap slope %.0f B", name, rssSlope, heapSlope)
	if rssSlope > bound {
		t.Errorf("%s: RSS per idle connection %.0f B, want at most %.0f", name, rssSlope, bound)
	}
}

// memoryTarget is the server measured: a node in this process, or, with
// FANOUT_IDLE_SERVER="ADDR PID", a fanout serve process started by hand
// (with --auth-mode off for the anonymous case and required for the
// authenticated one, on the built-in development app), whose RSS is read
// from /proc/PID/status once it has stopped moving; its heap is not seen
// and reads 0.
type memoryTarget struct {
	node *fantest.Node
	addr string
	pid  int
}

func newMemoryTarget(t *testing.T, authed bool, pki *fantest.PKI) memoryTarget {
	if spec := os.Getenv("FANOUT_IDLE_SERVER"); spec != "" {
		var m memoryTarget
		if _, err := fmt.Sscan(spec, &m.addr, &m.pid); err != nil {
			t.Fatalf("FANOUT_IDLE_SERVER=%q: want \"ADDR PID\"", spec)
		}
		return m
	}
	cfg := fantest.Config()
	if authed {
		cfg.Apps[0].Auth.Mode = config.AuthRequired
	}
	if pki != nil {
		cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	}
	n := fantest.Start(t, cfg, nil)
	return memoryTarget{node: n, addr: n.Addr()}
}

// settled reads the target's memory: in process after a GC that returns
// freed pages; outside, once two reads half a second apart agree within
// 64 KiB (bounded at a minute).
func (m memoryTarget) settled(t *testing.T) (rss, heap int64) {
	if m.node != nil {
		return settledMemory()
	}
	path := fmt.Sprintf("/proc/%d/status", m.pid)
	prev := int64(-1 << 40)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		rss = statusRSS(t, path)
		if d := rss - prev; d > -64<<10 && d < 64<<10 {
			return rss, 0
		}
		prev = rss
	}
	t.Logf("RSS of pid %d still moving after a minute", m.pid)
	return rss, 0
}

// settledMemory collects garbage, returns freed pages to the OS, and
// reads VmRSS and the heap in use.
func settledMemory() (rss, heap int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return statusRSS(nil, "/proc/self/status"), int64(ms.HeapInuse)
}

// statusRSS reads VmRSS, in bytes, from a /proc/PID/status file.
func statusRSS(t *testing.T, path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil && t != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
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
