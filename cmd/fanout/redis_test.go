package main

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A standalone Redis that is down when `fanout serve` starts is an outage,
// not a reason to exit: the node serves, /readyz answers 503, and SIGTERM
// still ends it with exit 0. (Catching up when Redis appears is tested in
// broker/redis, TestNodeStartsWhileRedisIsDown.)
func TestServeStartsUnreadyWhileRedisIsDown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fanout")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--redis-url", "redis://127.0.0.1:1", "--drain", "100ms", "--log-level", "info")
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := serverAddr(t, stderr)
	for _, path := range []string{"/readyz", "/healthz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
		want := map[string]int{"/readyz": 503, "/healthz": 200}[path]
		if resp.StatusCode != want {
			t.Errorf("%s with Redis down: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("fanout serve exited with %v, want 0", err)
	}
}
