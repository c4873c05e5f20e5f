package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/syncbuf"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds cmd/fanout once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "fanout-chaos-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "fanout")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/fanout")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the fanout module")
	}
	return filepath.Dir(mod), nil
}

// Proc is a child process the test started; Cleanup kills it.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	log  *syncbuf.Buffer // its output, the first MiB: enough to read what went wrong
	done chan struct{}
	err  error
}

// start runs name with args; its output is kept and printed if the test
// fails. The process is killed when the test ends.
func start(t testing.TB, label, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: label, cmd: exec.Command(name, args...), log: &syncbuf.Buffer{Max: 1 << 20}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Signal(syscall.SIGCONT) // a frozen process cannot die
		p.Kill()
		if t.Failed() {
			t.Logf("--- %s output (last 4 KiB):\n%s", label, tail(p.log.String(), 4096))
		}
		if dir := os.Getenv("FANOUT_CHAOS_LOGS"); dir != "" { // keep every process's full output
			name := fmt.Sprintf("%s/%s-%s-%d.log", dir, strings.ReplaceAll(t.Name(), "/", "_"), strings.ReplaceAll(label, " ", "_"), p.Pid())
			_ = os.WriteFile(name, []byte(p.log.String()), 0o644)
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig (an exited process ignores it).
func (p *Proc) Signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to go.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Wait waits up to d for the process to exit and returns its error
// (nil for exit 0); it kills it after d.
func (p *Proc) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.Kill()
		return fmt.Errorf("%s still running after %v", p.Name, d)
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the process wrote so far.
func (p *Proc) Output() string { return p.log.String() }

// Eventually polls cond every 20 ms until it holds or d passes; it
// returns how long it took and whether cond held.
func Eventually(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Long reports whether the long variants run (FANOUT_CHAOS set, as
// `make chaos` does).
func Long() bool { return os.Getenv("FANOUT_CHAOS") != "" }

// Pick returns long when Long() holds, else short.
func Pick[T any](short, long T) T {
	if Long() {
		return long
	}
	return short
}

// NeedLong skips t unless the long variants run.
func NeedLong(t testing.TB) {
	t.Helper()
	if !Long() {
		t.Skip("long scenario: run with FANOUT_CHAOS=1 (make chaos)")
	}
}

// envInt reads an integer from the environment, def when unset or bad.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
