package interop

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/syncbuf"
)

// TestBinaryServe runs the clients against the real `fanout serve`
// binary on its embedded defaults (what `make run` starts), with only the
// ports moved and /echo turned on with 64 MiB messages.
func TestBinaryServe(t *testing.T) {
	needNode(t)
	needPython(t)
	srv := startServe(t, buildFanout(t), "--echo", "--max-message-size", "67108864")
	srv.waitStatus(t, "/healthz", http.StatusOK)

	// The development app of the embedded defaults.
	tg := target{addr: srv.addr, appID: "app-id", key: "app-key", secret: "app-secret"}
	t.Run("pusher-js and SDK", func(t *testing.T) { run(t, tg, "node", "--test", "pusher.mjs") })
	t.Run("ws echo", func(t *testing.T) { run(t, tg, "node", "--test", "echo_ws.mjs") })
	t.Run("python websockets echo", func(t *testing.T) { run(t, tg, pythonWithWebsockets, "echo_client.py") })
}

// buildFanout builds ./cmd/fanout into a temporary folder.
func buildFanout(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fanout")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fanout")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/fanout: %v\n%s", err, out)
	}
	return bin
}

// serveProcess is a running `fanout serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	addr   string
	log    *syncbuf.Buffer // its output
	exited chan struct{}   // closed when the process has exited
	err    error           // its exit status, once exited is closed
}

// startServe runs bin serve on a free loopback port with metrics off and
// args, and drains it (SIGTERM, exit 0 expected) when the test ends.
func startServe(t *testing.T, bin string, args ...string) *serveProcess {
	t.Helper()
	return startServeAt(t, bin, freeAddr(t), args...)
}

// startServeAt is startServe on addr (a node restarted where it was).
func startServeAt(t *testing.T, bin, addr string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{addr: addr, log: new(syncbuf.Buffer), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", p.addr, "--metrics-addr", ""}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start fanout serve: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// waitStatus polls path on the node until it answers want, the node
// exits, or the hang guard passes.
func (p *serveProcess) waitStatus(t *testing.T, path string, want int) {
	t.Helper()
	c := http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-p.exited:
			t.Fatalf("fanout serve exited early: %v\n%s", p.err, p.log.String())
		default:
		}
		if resp, err := c.Get("http://" + p.addr + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fanout serve on %s: %s never answered %d\n%s", p.addr, path, want, p.log.String())
}

// stop sends SIGTERM (a graceful drain, exit 0) and kills the server if it
// has not exited within the hang guard.
func (p *serveProcess) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("fanout serve after SIGTERM: %v\n%s", p.err, p.log.String())
		}
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("fanout serve did not exit within 60s of SIGTERM\n%s", p.log.String())
	}
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startRedisServer runs a throwaway redis-server on a free loopback port
// and returns its URL.
func startRedisServer(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	log := new(syncbuf.Buffer)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "redis://" + addr
		}
	}
	t.Fatalf("redis-server on %s never accepted\n%s", addr, log.String())
	return ""
}
