package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
)

// childNoFile is the open-file limit of the `fanout serve` child: low, so
// that a few hundred clients fill it.
const childNoFile = 512

// A real `fanout serve` with an open-file limit of 512 (for the child
// only, through prlimit(1)), filled past its capacity with WebSocket
// clients: the clients over capacity are answered at once, the node idles,
// /readyz says it is full, the HTTP API and /metrics still answer, and all
// of it recovers when clients leave. Then silent sockets take every
// descriptor left: the node still idles (no accept loop on EMFILE) and
// counts the error.
func TestAtTheOpenFileLimit(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("prlimit not found: install util-linux (apt-get install util-linux)")
	}
	wrap := []string{prlimit, "--nofile=" + strconv.Itoa(childNoFile) + ":" + strconv.Itoa(childNoFile), "--"}
	srv, line := launchServe(t, 5*time.Minute, wrap, "--auth-mode", "off", "--metrics-addr", "127.0.0.1:0",
		"--upgrade-timeout", "60s")
	addr, metricsAddr := line["addr"], line["metrics"]
	capacity, _ := strconv.Atoi(line["capacity"])
	if capacity <= 0 || capacity >= childNoFile {
		t.Fatalf("capacity %q with an open-file limit of %d", line["capacity"], childNoFile)
	}
	url := "ws://" + addr + "/app/app-key?protocol=7&client=fdlimit&version=1"

	subs := make([]*fantest.Client, capacity)
	for i := range subs {
		subs[i] = fantest.Dial(t, url, nil)
		subs[i].Subscribe("fill")
	}

	// More clients than descriptors are left: every one is answered (503
	// before the upgrade, or 4100 after it) within 2 s.
	over := childNoFile - capacity + 64
	answers := refusals(t, url, over)
	t.Logf("%d connections at capacity %d; %d clients over it: %v", capacity, capacity, over, answers)
	if answers["503"]+answers["4100"] != over {
		t.Errorf("%d clients over capacity: answers %v, want 503 or 4100 for each", over, answers)
	}

	ticks := cpuTicks(t, srv.Process.Pid, 2*time.Second)
	t.Logf("full node: %d CPU ticks in 2 s", ticks)
	if ticks > clockTicks*2/10 {
		t.Errorf("full node used %d CPU ticks in 2 s (%d = one core): over a tenth of a core", ticks, clockTicks)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 503 || !strings.Contains(body, "at capacity") {
		t.Errorf("/readyz at capacity: %d %s, want 503 at capacity", code, body)
	}
	publish(t, addr, "fill", "while-full")
	if ev := subs[0].Expect("while-full"); ev.Channel != "fill" {
		t.Errorf("event on channel %q", ev.Channel)
	}
	if code, body := get(t, "http://"+metricsAddr+"/metrics"); code != 200 ||
		!strings.Contains(body, "fanout_capacity "+strconv.Itoa(capacity)) {
		t.Errorf("/metrics at capacity: %d, fanout_capacity %d missing", code, capacity)
	}

	for _, c := range subs[:16] { // some clients leave: ready again, room for new ones
		c.Conn.Close()
	}
	subs = subs[16:]
	waitStatus(t, "http://"+addr+"/readyz", 200)
	for range 8 {
		fantest.Dial(t, url, nil)
	}

	// Silent sockets take every descriptor left (their upgrade may wait
	// 60 s): accept(2) fails with EMFILE and the loops pause.
	silent := make([]net.Conn, 0, childNoFile)
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	for range childNoFile {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	ticks = cpuTicks(t, srv.Process.Pid, 2*time.Second)
	t.Logf("node out of descriptors: %d CPU ticks in 2 s", ticks)
	if ticks > clockTicks*2/10 {
		t.Errorf("node out of descriptors used %d CPU ticks in 2 s (%d = one core): over a tenth of a core", ticks, clockTicks)
	}
	for _, c := range silent { // descriptors come back: /metrics answers again
		c.Close()
	}
	silent = nil
	waitStatus(t, "http://"+metricsAddr+"/metrics", 200)
	_, body := get(t, "http://"+metricsAddr+"/metrics")
	emfile := regexp.MustCompile(`fanout_accept_errors_total\{reason="emfile"\} (\d+)`)
	if m := emfile.FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("fanout_accept_errors_total{reason=\"emfile\"}: %v, want at least 1", m)
	}
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (proc(5)).
const clockTicks = 100

// cpuTicks is the CPU time (user + system, in clock ticks) process pid
// uses over d.
func cpuTicks(t *testing.T, pid int, d time.Duration) int {
	t.Helper()
	before := procTicks(t, pid)
	time.Sleep(d) // the measurement window itself
	return procTicks(t, pid) - before
}

// procTicks reads utime + stime, fields 14 and 15 of /proc/PID/stat.
func procTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:])) // fields from 3 on
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// refusals dials n clients at once and tallies the answers within 2 s:
// "503", "4100", "upgraded" (held open, no close frame) or "no answer"
// (still in the backlog). The sockets not refused stay open until the
// test ends, so that they hold their descriptors as a real client would.
func refusals(t *testing.T, url string, n int) map[string]int {
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, held := refusal(url)
			mu.Lock()
			out[got]++
			mu.Unlock()
			if held != nil {
				t.Cleanup(func() { held.Close() })
			}
		}()
	}
	wg.Wait()
	return out
}

// refusal dials one client and says how it was answered; held is the
// socket when it was not refused.
func refusal(url string) (answer string, held net.Conn) {
	deadline := time.Now().Add(2 * time.Second)
	d := ws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		held = c
		return c, err
	}}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	conn, _, _, err := d.Dial(ctx, url)
	if status, ok := err.(ws.StatusError); ok {
		held.Close()
		return strconv.Itoa(int(status)), nil
	}
	if err != nil {
		return "no answer", held
	}
	_ = conn.SetReadDeadline(deadline)
	for {
		f, err := ws.ReadFrame(conn)
		if err != nil {
			return "upgraded", conn
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			conn.Close()
			return strconv.Itoa(int(code)), nil
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitStatus polls url until it answers status, for at most 10 s.
func waitStatus(t *testing.T, url string, status int) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	last := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := c.Get(url); err == nil {
			last = resp.StatusCode
			resp.Body.Close()
			if last == status {
				return
			}
		}
	}
	t.Fatalf("GET %s: last status %d, want %d", url, last, status)
}

// publish sends one event through the signed HTTP API of the development
// app and wants 200.
func publish(t *testing.T, addr, channel, event string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": event, "channel": channel, "data": "{}"})
	path := "/apps/app-id/events"
	q := auth.SignRequest("POST", path, nil, body, "app-key", "app-secret", time.Now())
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Post("http://"+addr+path+"?"+q.Encode(), "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Errorf("publish at capacity: %v", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("publish at capacity: %d %s", resp.StatusCode, b)
	}
}
