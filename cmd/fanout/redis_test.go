package main

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// A standalone Redis that is down when `fanout serve` starts is an outage,
// not a reason to exit: the node serves, /readyz answers 503, and SIGTERM
// still ends it with exit 0. (Catching up when Redis appears is tested in
// broker/redis, TestNodeStartsWhileRedisIsDown.)
func TestServeStartsUnreadyWhileRedisIsDown(t *testing.T) {
	srv, addr := startServe(t, 2*time.Minute, "--redis-url", "redis://127.0.0.1:1", "--drain", "100ms")
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
