//go:build !race

package pusher_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
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
	const low, high = 5000, 18000
	prof := os.Getenv("FANOUT_HEAPPROFILE")
	if prof != "" {
		runtime.MemProfileRate = 1 // every allocation, for an exact breakdown
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	n := fantest.Start(t, fantest.Config(), nil)

	startIdleClients(t, n.Addr(), low, 0)
	waitConns(t, n, low)
	rss1, heap1 := settledMemory()
	if prof != "" {
		writeHeapProfile(t, fmt.Sprintf("%s.%d", prof, low))
	}
	startIdleClients(t, n.Addr(), high-low, low)
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
	if rssSlope > 2048 {
		t.Errorf("RSS per idle connection %.0f B, want at most 2048 (target 1024)", rssSlope)
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

// waitConns waits (bounded) until the node holds exactly want upgraded
// connections.
func waitConns(t *testing.T, n *fantest.Node, want int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if n.Pusher.Conns() == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node holds %d connections, want %d", n.Pusher.Conns(), want)
}

// startIdleClients runs a child process holding count subscribed
// connections (channel idle-<i%100>, i from first) and waits until they
// are all subscribed; the child exits when the test ends.
func startIdleClients(t *testing.T, addr string, count, first int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperIdleClients$", "-test.v=false")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FANOUT_IDLE_CLIENTS=%s %d %d", addr, count, first))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cancel(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "idle-clients:") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok || !strings.HasSuffix(line, " ok") {
			t.Fatalf("client process: %q", line)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("client process never reported")
	}
}

// TestHelperIdleClients is the client process of TestIdleConnectionMemory
// and does nothing in a normal run.
func TestHelperIdleClients(t *testing.T) {
	spec := os.Getenv("FANOUT_IDLE_CLIENTS")
	if spec == "" {
		return
	}
	var addr string
	var count, first int
	if _, err := fmt.Sscan(spec, &addr, &count, &first); err != nil {
		fmt.Println("idle-clients: bad spec", spec)
		os.Exit(2)
	}
	conns, failed := holdIdleClients(addr, count, first)
	if failed > 0 {
		fmt.Printf("idle-clients: %d of %d failed\n", failed, count)
	} else {
		fmt.Printf("idle-clients: %d ok\n", len(conns))
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // hold until the parent closes stdin
	for _, c := range conns {
		c.Close()
	}
	os.Exit(0)
}

// holdIdleClients dials count connections, 64 at a time, and subscribes
// each to one channel.
func holdIdleClients(addr string, count, first int) ([]net.Conn, int) {
	var mu sync.Mutex
	var conns []net.Conn
	failed := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, err := idleClient(addr, i)
				mu.Lock()
				if err != nil {
					failed++
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	for i := first; i < first+count; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return conns, failed
}

func idleClient(addr string, i int) (net.Conn, error) {
	d := ws.Dialer{Timeout: 30 * time.Second}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+addr+"/app/app-key?protocol=7&client=idle&version=1")
	if err != nil {
		return nil, err
	}
	var rw io.ReadWriter = conn
	if br != nil {
		rw = struct {
			io.Reader
			io.Writer
		}{br, conn}
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	sub, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": "idle-" + strconv.Itoa(i%100)}})
	if err := wsutil.WriteClientText(rw, sub); err != nil {
		conn.Close()
		return nil, err
	}
	for {
		b, err := wsutil.ReadServerText(rw)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if strings.Contains(string(b), "subscription_succeeded") {
			_ = conn.SetDeadline(time.Time{})
			return conn, nil
		}
	}
}
