package bench

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPeerHubsFanout runs the harness against each Go peer hub, so the
// hubs themselves are exercised by the same client the comparison uses:
// every subscriber gets every accepted publish once. Each hub runs as
// its own process, as in a comparison: in this one, under the race
// detector, nbio v1.6.8 reports a race of its own (its accept goroutine
// writes a connection's address that a poller goroutine then reads).
func TestPeerHubsFanout(t *testing.T) {
	for _, hub := range []string{"nbiohub", "gorillahub"} {
		t.Run(hub, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), hub)
			if out, err := exec.Command("go", "build", "-o", bin, "./peers/cmd/"+hub).CombinedOutput(); err != nil {
				t.Fatalf("go build %s: %v\n%s", hub, err, out)
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			startPeer(t, addr, bin, "-addr", addr)
			res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{"ws://" + addr},
				Conns: 40, Channels: 4, Workers: 1, Rate: 40, Publishers: 2, Duration: 500 * time.Millisecond, Quiet: true}, os.Stderr)
			if err != nil {
				t.Fatal(err)
			}
			if res.Subscribed != 40 || res.Failed != 0 || res.Published == 0 || res.Delivered != res.Published*10 {
				t.Fatalf("subscribed %d failed %d %v published %d delivered %d",
					res.Subscribed, res.Failed, res.Failures, res.Published, res.Delivered)
			}
		})
	}
}

// startPeer runs a peer server's command until the test ends, waits
// (at most 20 s) until it listens on addr, and returns its pid.
func startPeer(t *testing.T, addr, bin string, args ...string) int {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never listened on %s", filepath.Base(bin), addr)
		}
	}
}
