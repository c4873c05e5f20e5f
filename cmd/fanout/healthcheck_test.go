package main

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fanout healthcheck against a real `fanout serve`: 0 while it runs,
// whether given its address or the wildcard it was told to listen on, and
// 1 once it has exited; /readyz is probed on request.
func TestHealthcheckProbesARunningNode(t *testing.T) {
	srv, addr := startServe(t, time.Minute, "--auth-mode", "off")
	_, port, _ := net.SplitHostPort(addr)
	for _, args := range [][]string{
		{"--addr", addr},
		{"--addr", "0.0.0.0:" + port},
		{"--addr", "[::]:" + port, "--path", "/readyz"},
	} {
		code, out, stderr := runCmd(append([]string{"healthcheck"}, args...)...)
		if code != 0 || !strings.Contains(out, "200 OK") {
			t.Errorf("healthcheck %v: exit %d, out %q, err %q", args, code, out, stderr)
		}
	}
	t.Setenv("FANOUT_ADDR", addr)
	if code, _, stderr := runCmd("healthcheck"); code != 0 {
		t.Errorf("healthcheck with FANOUT_ADDR: exit %d: %s", code, stderr)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	code, _, stderr := runCmd("healthcheck", "--addr", addr, "--timeout", "2s")
	if code != 1 || !strings.Contains(stderr, addr) {
		t.Errorf("healthcheck after exit: exit %d, stderr %q; want 1 naming the address", code, stderr)
	}
	if code, _, _ := runCmd("healthcheck", "--addr", "nonsense"); code != 2 {
		t.Errorf("healthcheck --addr nonsense: exit %d, want 2", code)
	}
}

// The version line names the version, the commit and the Go toolchain.
func TestVersionLine(t *testing.T) {
	version, commit = "1.2.3", "abc1234"
	t.Cleanup(func() { version, commit = "", "" })
	_, out, _ := runCmd("version")
	if !strings.HasPrefix(out, "fanout 1.2.3 (commit abc1234, go1.") {
		t.Fatalf("version: %q", out)
	}
}
