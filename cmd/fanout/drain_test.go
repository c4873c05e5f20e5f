package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// SIGTERM to a real `fanout serve` process holding 10,000 connections:
// every client gets close 4200, the closes spread over the drain window,
// and the process exits 0. The clients live in this test process; the
// server in its own, so each side stays under the open-file limit.
func TestSIGTERMDrainsTenThousandConnections(t *testing.T) {
	const conns = 10000
	const window = 4 * time.Second
	srv, addr := startServe(t, 5*time.Minute, "--auth-mode", "off", "--drain", window.String())

	closes := make(chan closeSeen, conns)
	var wg, dialed sync.WaitGroup
	jobs := make(chan int)
	for range 64 {
		go func() {
			for range jobs {
				c, err := dialHeld(addr)
				dialed.Done()
				if err != nil {
					closes <- closeSeen{err: err, at: time.Now()}
					wg.Done()
					continue
				}
				go func() { defer wg.Done(); closes <- waitClose(c) }()
			}
		}()
	}
	wg.Add(conns)
	dialed.Add(conns)
	for i := range conns {
		jobs <- i
	}
	close(jobs)
	dialed.Wait() // every upgrade answered (connection_established is in flight)
	sent := time.Now()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A load balancer's fresh probe sees the drain: /readyz answers 503 on
	// a new connection while the closes go on.
	probe := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	readyz := 0
	for deadline := time.Now().Add(window / 2); time.Now().Before(deadline) && readyz != 503; time.Sleep(20 * time.Millisecond) {
		if resp, err := probe.Get("http://" + addr + "/readyz"); err == nil {
			readyz = resp.StatusCode
			resp.Body.Close()
		}
	}
	if readyz != 503 {
		t.Errorf("/readyz during the drain: last status %d, want 503", readyz)
	}
	wg.Wait()
	exitErr := srv.Wait()
	close(closes)

	var at []time.Duration
	bad := map[string]int{}
	for c := range closes {
		switch {
		case c.err != nil:
			bad[c.err.Error()+" "+sinceSignal(c.at, sent)]++
		case c.code != 4200:
			bad["close "+strconv.Itoa(c.code)]++
		default:
			at = append(at, c.at.Sub(sent))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d clients did not get 4200: %v", conns-len(at), conns, bad)
	}
	if exitErr != nil {
		t.Errorf("fanout serve exited with %v, want 0", exitErr)
	}
	if len(at) < conns/2 {
		t.Fatalf("only %d closes to look at", len(at))
	}
	slices.Sort(at)
	q := func(p int) time.Duration { return at[len(at)*p/100] }
	t.Logf("%d closes after SIGTERM: first %v, p10 %v, p50 %v, p90 %v, last %v (window %v)",
		len(at), at[0].Round(time.Millisecond), q(10).Round(time.Millisecond), q(50).Round(time.Millisecond),
		q(90).Round(time.Millisecond), at[len(at)-1].Round(time.Millisecond), window)
	// Spread, relative to the window: no burst at the start, none at the
	// end; the middle of the closes near the middle of the window.
	if q(10) > window*3/10 || q(90) < window*6/10 || q(50) < window*3/10 {
		t.Errorf("closes not spread over the %v window: p10 %v p50 %v p90 %v", window, q(10), q(50), q(90))
	}
	var buckets [8]int
	for _, d := range at {
		buckets[min(int(d*8/window), 7)]++
	}
	t.Logf("closes per eighth of the window: %v", buckets)
	for i, n := range buckets {
		if n == 0 {
			t.Errorf("no close in eighth %d of the window: %v", i, buckets)
		}
	}
}

// sinceSignal says when a failure came relative to SIGTERM: before it,
// the connection was lost during the upgrade; after the window, the
// drain missed it.
func sinceSignal(at, sent time.Time) string {
	if at.Before(sent) {
		return "before SIGTERM"
	}
	return "at SIGTERM+" + at.Sub(sent).Round(100*time.Millisecond).String()
}

type closeSeen struct {
	code int
	at   time.Time
	err  error
}

// dialHeld opens one upgraded, subscribed connection.
func dialHeld(addr string) (net.Conn, error) {
	d := ws.Dialer{Timeout: 30 * time.Second}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+addr+"/app/app-key?protocol=7&client=drain&version=1")
	if err != nil {
		return nil, err
	}
	if br != nil {
		conn = &heldConn{Conn: conn, r: br}
	}
	return conn, nil
}

type heldConn struct {
	net.Conn
	r io.Reader
}

func (c *heldConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// waitClose reads frames until the server's close frame and notes when it
// came.
func waitClose(c net.Conn) closeSeen {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Minute))
	for {
		f, err := ws.ReadFrame(c)
		if err != nil {
			return closeSeen{err: errors.New("no close frame: " + err.Error()), at: time.Now()}
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			at := time.Now()
			_ = ws.WriteFrame(c, ws.MaskFrameInPlace(ws.NewCloseFrame(ws.NewCloseFrameBody(code, ""))))
			return closeSeen{code: int(code), at: at}
		}
	}
}

// startServe builds this command and runs `fanout serve` on a free
// loopback port with args, killed after limit at the latest; it returns
// the process and the address it listens on.
func startServe(t *testing.T, limit time.Duration, args ...string) (*exec.Cmd, string) {
	t.Helper()
	srv, line := launchServe(t, limit, nil, args...)
	return srv, line["addr"]
}

// launchServe is startServe run through the command line wrap (e.g.
// prlimit and its options; nil runs the binary directly); it returns the
// key=value fields of the server's "fanout serving" log line (addr,
// metrics, capacity).
func launchServe(t *testing.T, limit time.Duration, wrap []string, args ...string) (*exec.Cmd, map[string]string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fanout")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	argv := append(append(append([]string(nil), wrap...), bin, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--log-level", "info"), args...)
	srv := exec.CommandContext(ctx, argv[0], argv[1:]...)
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	return srv, servingLine(t, stderr)
}

// servingLine reads the server's log until it says where it listens and
// returns that line's key=value fields.
func servingLine(t *testing.T, stderr io.Reader) map[string]string {
	t.Helper()
	field := regexp.MustCompile(`(\w+)=(\S+)`)
	found := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), "fanout serving") {
				continue
			}
			m := map[string]string{}
			for _, kv := range field.FindAllStringSubmatch(sc.Text(), -1) {
				m[kv[1]] = kv[2]
			}
			select {
			case found <- m:
			default:
			}
		}
	}()
	select {
	case m := <-found:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("fanout serve never said where it listens")
		return nil
	}
}
