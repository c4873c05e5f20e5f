package interop

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinaryServe runs the clients against the real `fanout serve`
// binary on its embedded defaults (what `make run` starts), with only the
// ports moved and /echo turned on with 64 MiB messages.
func TestBinaryServe(t *testing.T) {
	needNode(t)
	needPython(t)
	bin := filepath.Join(t.TempDir(), "fanout")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fanout")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/fanout: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	log := new(syncBuffer)
	srv := exec.Command(bin, "serve", "--addr", addr, "--metrics-addr", "",
		"--echo", "--max-message-size", "67108864")
	srv.Stdout, srv.Stderr = log, log
	if err := srv.Start(); err != nil {
		t.Fatalf("start fanout serve: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() { stop(t, srv, exited, log) })
	waitHealthy(t, addr, exited, log)

	// The development app of the embedded defaults.
	tg := target{addr: addr, appID: "app-id", key: "app-key", secret: "app-secret"}
	t.Run("pusher-js and SDK", func(t *testing.T) { run(t, tg, "node", "--test", "pusher.mjs") })
	t.Run("ws echo", func(t *testing.T) { run(t, tg, "node", "--test", "echo_ws.mjs") })
	t.Run("python websockets echo", func(t *testing.T) { run(t, tg, pythonWithWebsockets, "echo_client.py") })
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

// waitHealthy polls /healthz until the server answers 200, it exits, or
// the hang guard passes.
func waitHealthy(t *testing.T, addr string, exited <-chan error, log *syncBuffer) {
	t.Helper()
	c := http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			t.Fatalf("fanout serve exited early: %v\n%s", err, log.String())
		default:
		}
		if resp, err := c.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fanout serve not healthy on %s\n%s", addr, log.String())
}

// stop sends SIGTERM (a graceful drain, exit 0) and kills the server if it
// has not exited within the hang guard.
func stop(t *testing.T, srv *exec.Cmd, exited <-chan error, log *syncBuffer) {
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("fanout serve after SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(60 * time.Second):
		_ = srv.Process.Kill()
		<-exited
		t.Errorf("fanout serve did not exit within 60s of SIGTERM\n%s", log.String())
	}
}

// syncBuffer collects the server's output, written by exec's copying
// goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
