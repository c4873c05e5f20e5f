package bench

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCPUSplitChargesItsProcess runs bench/cpu-split.sh for real: perf
// samples every CPU while a shell spins, and the report must charge the
// spinning process to the label it was given, with its µs per operation
// consistent with its share (share × CPUs × 1e6 / rate), and count idle
// time apart.
func TestCPUSplitChargesItsProcess(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: linux-perf; make deps installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("sampling every CPU needs root")
	}
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = spin.Process.Kill(); _ = spin.Wait() }()
	data := filepath.Join(t.TempDir(), "perf.data")
	script := "cpu-split.sh"
	if out, err := exec.Command("bash", script, "record", "2", data).CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	out, err := exec.Command("bash", script, "report", data, "1000", "spinner="+strconv.Itoa(spin.Process.Pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	rows := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) == 7 {
			rows[strings.TrimSpace(f[1])] = f[2:6]
		}
	}
	r, ok := rows["spinner"]
	if !ok {
		t.Fatalf("no row for the labelled process:\n%s", out)
	}
	if _, ok := rows["sh"]; ok {
		t.Fatalf("the labelled process was also charged under its command name:\n%s", out)
	}
	share, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r[0]), "%")), 64)
	if err != nil {
		t.Fatalf("share %q: %v", r[0], err)
	}
	// A spinning shell is on a CPU whenever it may be: at least a tenth
	// of the machine even beside a busy test run.
	if share < 10 {
		t.Fatalf("spinner charged %.1f %% of the CPUs:\n%s", share, out)
	}
	total, err := strconv.ParseFloat(strings.TrimSpace(r[3]), 64)
	if err != nil {
		t.Fatalf("total %q: %v", r[3], err)
	}
	want := share / 100 * float64(cpus()) * 1e6 / 1000
	if d := total - want; d > 0.02*want+0.2 || d < -0.02*want-0.2 {
		t.Fatalf("spinner: %.1f µs/op for a share of %.1f %% at 1,000 op/s (want %.1f):\n%s", total, share, want, out)
	}
}

// cpus is what the script divides the machine into: os.cpu_count(),
// the CPUs online.
func cpus() int {
	out, err := exec.Command("getconf", "_NPROCESSORS_ONLN").Output()
	if err != nil {
		return 1
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}
