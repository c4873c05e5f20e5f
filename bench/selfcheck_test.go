package bench

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// measured is a run over 15 s whose workers used harness cores at
// harnessUs µs per delivery and whose server used server cores, every
// figure as fanout computes it, on a machine of two cores shared by
// both. server < 0 leaves the server unmeasured.
func measured(harness, harnessUs, server float64) Result {
	const secs = 15.0
	r := Result{HarnessCores: harness, HarnessCPUSeconds: harness * secs, HarnessCPUPerDeliveryUs: harnessUs,
		HarnessCoresAvailable: 2, MachineCores: 2}
	r.Delivered = uint64(r.HarnessCPUSeconds * 1e6 / harnessUs)
	if server >= 0 {
		r.ServerCPUMeasured, r.ServerCores, r.SharedCores = true, server, 2
		r.ServerCPUSeconds = server * secs
		r.CPUPerDeliveryUs = r.ServerCPUSeconds * 1e6 / float64(r.Delivered)
	}
	return r
}

func TestHarnessCheck(t *testing.T) {
	pinned := measured(0.95, 10, -1) // the workers pinned to one CPU of two
	pinned.HarnessCoresAvailable = 1
	apart := measured(0.9, 10, 0.85) // workers and server pinned to a CPU each
	apart.HarnessCoresAvailable, apart.SharedCores = 1, 0
	cases := []struct {
		name string
		r    Result
		bad  bool
		says string // in the error
	}{
		// 2 events/s to 18,000 subscribers, io_uring sends: 9.38 µs per
		// delivery against the server's 8.53 µs, a third of the machine.
		{"light load, costlier, uncontended", measured(0.338, 9.38, 0.307), false, ""},
		{"tiny load, costlier", measured(0.015, 20, 0.005), false, ""},
		{"contended and costlier", measured(0.9, 5.5, 0.8), true, "the workers spent more CPU per delivery"},
		{"contended at the bar exactly, costlier", measured(0.625, 5, 0.375), true, "contended from 50 %"},
		{"contended, cheaper than the server", measured(0.8, 4.4, 0.9), false, ""},
		{"saturated, server not measured", measured(1.9, 5, -1), true, "not measured (no --server-pid)"},
		{"saturated, cheaper than the server", measured(1.85, 4, 0.1), true, "1.85 of the 2 cores available"},
		{"saturated on the one CPU its affinity allows", pinned, true, "0.95 of the 1 cores available"},
		{"pinned apart from the server, costlier", apart, false, ""},
		{"nothing measured", Result{Delivered: 1000}, false, ""},
		{"nothing delivered", Result{HarnessCPUSeconds: 1, HarnessCores: 1.95, HarnessCoresAvailable: 2}, false, ""},
	}
	for _, c := range cases {
		err := c.r.HarnessCheck()
		var hb *HarnessBoundError
		if got := errors.As(err, &hb); got != c.bad {
			t.Errorf("%s: HarnessCheck() = %v, want bound %v", c.name, err, c.bad)
			continue
		}
		if c.bad && (!strings.Contains(err.Error(), "SELF-CHECK FAILED") || !strings.Contains(err.Error(), c.says)) {
			t.Errorf("%s: %q does not say SELF-CHECK FAILED and %q", c.name, err, c.says)
		}
	}
}

func TestHarnessNote(t *testing.T) {
	unmeasured, known := measured(0.2, 5, -1), measured(0.2, 5, 0.3)
	if n := unmeasured.HarnessNote(); !strings.Contains(n, "not measured (no --server-pid)") ||
		!strings.Contains(n, "0.20 of the 2 cores") {
		t.Errorf("server unmeasured: note %q", n)
	}
	if n := known.HarnessNote(); n != "" {
		t.Errorf("server measured: note %q, want none", n)
	}
}

// TestCoreScopeFollowsAffinity pins two real processes, a "worker" to
// CPU 0 and a "server" to CPU 1, and reads what the self-check reads.
func TestCoreScopeFollowsAffinity(t *testing.T) {
	var own unix.CPUSet
	if err := unix.SchedGetaffinity(0, &own); err != nil || !own.IsSet(0) || !own.IsSet(1) {
		t.Skipf("needs CPUs 0 and 1 (mask %v, %v)", own, err)
	}
	pin := func(cpus ...int) int {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		var s unix.CPUSet
		for _, c := range cpus {
			s.Set(c)
		}
		if err := unix.SchedSetaffinity(cmd.Process.Pid, &s); err != nil {
			t.Fatal(err)
		}
		return cmd.Process.Pid
	}
	worker, server, both := pin(0), pin(1), pin(0, 1)
	if sc := readCoreScope([]int{worker}, []int{server}, 4); sc.workers != 1 || sc.machine != 2 || sc.shared != 0 {
		t.Errorf("pinned apart: %+v, want workers 1, machine 2, shared 0", sc)
	}
	if sc := readCoreScope([]int{worker}, []int{both}, 4); sc.workers != 1 || sc.machine != 2 || sc.shared != 1 {
		t.Errorf("server on both: %+v, want workers 1, machine 2, shared 1", sc)
	}
	if sc := readCoreScope([]int{worker, server}, nil, 1); sc.workers != 2 || sc.machine != 2 || sc.shared != 0 {
		t.Errorf("two workers, no server: %+v, want workers 2, machine 2, shared 0", sc)
	}
}

// TestSelfCheckPassesAtLightLoad runs the harness against a real
// `fanout serve` at a light load: neither the workers nor the machine
// are near busy, so the self-check must pass even though the workers
// (this test binary, under the race detector when run so) may spend
// more per delivery than the server.
func TestSelfCheckPassesAtLightLoad(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fanout")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/fanout").CombinedOutput(); err != nil {
		t.Fatalf("go build fanout: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pid := startPeer(t, addr, bin, "serve", "--addr", addr, "--metrics-addr", "", "--log-level", "error")
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{"ws://" + addr},
		Conns: 500, Channels: 1, Workers: 1, Rate: 10, Publishers: 2, Duration: 2 * time.Second, Quiet: true,
		ServerPIDs: []int{pid}}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	allDelivered(t, res, 500)
	if !res.ServerCPUMeasured || res.HarnessCPUSeconds == 0 || res.HarnessCoresAvailable == 0 || res.MachineCores == 0 {
		t.Fatalf("self-check inputs not measured: %+v", res)
	}
	if err := res.HarnessCheck(); err != nil {
		t.Fatalf("%v (harness %.2f cores, server %.2f)", err, res.HarnessCores, res.ServerCores)
	}
	t.Logf("harness %.2f µs/delivery, %.3f of %d cores; server %.2f µs/delivery, %.3f cores; machine %d",
		res.HarnessCPUPerDeliveryUs, res.HarnessCores, res.HarnessCoresAvailable, res.CPUPerDeliveryUs, res.ServerCores, res.MachineCores)
}
