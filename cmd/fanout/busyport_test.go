package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Two `fanout serve` on one address: the second must fail at start with
// "address already in use" and a non-zero exit, although both would set
// SO_REUSEPORT, and must not take a share of the first one's connections.
func TestSecondServeOnABusyAddressFails(t *testing.T) {
	first, addr := startServe(t, 2*time.Minute, "--event-loops", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, first.Path, "serve", "--addr", addr, "--metrics-addr", "", "--event-loops", "2")
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
		t.Fatalf("second serve on %s: %v (timed out: %v)\n%s", addr, err, ctx.Err() != nil, out)
	}
	if !strings.Contains(string(out), "address already in use") || strings.Contains(string(out), "fanout serving") {
		t.Fatalf("second serve exited %d without saying the address is in use:\n%s", exit.ExitCode(), out)
	}
	if first.ProcessState != nil {
		t.Fatal("the first node exited")
	}
}
