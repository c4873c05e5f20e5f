package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return port
}

// A run against a dead server fails: exit 1, the kernel's words for the
// failure, no publishing, and no zero figures posing as measurements.
func TestDeadServerFails(t *testing.T) {
	port := closedPort(t)
	var out, errb strings.Builder
	// The duration is far beyond the test's context: publishing for it
	// would end in the context's deadline, not in the outcome below.
	code := Run(testCtx(t), []string{"fanout", "--url", "ws://127.0.0.1:" + port, "--conns", "20",
		"--rate", "10", "--duration", "5m", "--quiet"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "connection refused") || strings.Contains(errb.String()+out.String(), "errno") {
		t.Fatalf("stderr does not name the refusal:\n%s", errb.String())
	}
	if !strings.Contains(errb.String(), "20 of 20 connections failed") {
		t.Fatalf("stderr:\n%s", errb.String())
	}
	if strings.Contains(out.String(), "0.00") || !strings.Contains(out.String(), "| fanout | 0 | 20 |") {
		t.Fatalf("empty figures printed as numbers:\n%s", out.String())
	}
}

func TestDeadServerNoPublish(t *testing.T) {
	port := closedPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Execute(ctx, Options{Scenario: "fanout", URLs: []string{"ws://127.0.0.1:" + port},
		Conns: 10, Workers: 1, Rate: 10, Duration: time.Hour, Quiet: true}, os.Stderr)
	if !errors.Is(err, ErrNoSubscribers) {
		t.Fatalf("err %v, want ErrNoSubscribers", err)
	}
	if res.Published != 0 || res.Latency != nil || res.Failures["dial: connection refused"] != 10 {
		t.Fatalf("published %d latency %+v failures %v", res.Published, res.Latency, res.Failures)
	}
	// Beside a run that measured them, its figures read "-", not 0.
	ok := *res
	ok.Label, ok.Subscribed, ok.Failed, ok.Failures, ok.Expected, ok.Delivered = "ok", 10, 0, nil, 10, 10
	ok.Latency = &LatencySummary{P50: 1, P90: 1, P99: 1, P999: 1, Max: 1}
	md := markdownTable([]Result{*res, ok})
	if !strings.Contains(md, "| fanout | 0 | 10 | - | - | - | - | - | - |") {
		t.Fatalf("table:\n%s", md)
	}
}

func TestDialReasonNames(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "dial: connection refused"},
		{context.DeadlineExceeded, "dial: timeout"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}, "dial: timeout"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("no route")}, "dial: no route"},
	} {
		if got := dialReason(c.err); got != c.want {
			t.Errorf("dialReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
