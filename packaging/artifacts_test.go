package packaging_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// release is one run of packaging/release.sh for the host's architecture,
// shared by the tests of this package.
var release struct {
	once    sync.Once
	dir     string
	version string
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if release.dir != "" {
		os.RemoveAll(release.dir)
	}
	os.Exit(code)
}

// artifacts builds the static binary and the .deb for runtime.GOARCH once
// (no npm tarball) and returns their folder and the version stamped.
func artifacts(t *testing.T) (dir, version string) {
	t.Helper()
	release.once.Do(func() {
		release.dir, release.err = os.MkdirTemp("", "fanout-release-")
		if release.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "./version.sh").Output()
		if err != nil {
			release.err = fmt.Errorf("version.sh: %w", err)
			return
		}
		release.version = strings.TrimSpace(string(out))
		cmd := exec.CommandContext(ctx, "./release.sh", "-n", "-a", runtime.GOARCH, release.dir)
		cmd.Env = append(os.Environ(), "VERSION="+release.version)
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("release.sh: %w\n%s", err, out)
		}
	})
	if release.err != nil {
		t.Fatal(release.err)
	}
	return release.dir, release.version
}

// run runs a command with a time limit and returns its combined output,
// failing the test if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := try(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// try runs a command with a time limit and returns its combined output.
func try(name string, args ...string) (string, error) {
	return tryEnv(nil, append([]string{name}, args...)...)
}

// tryEnv is try with variables added to the environment.
func tryEnv(env []string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serveAndProbe starts bin as `fanout serve` on a loopback port, waits for
// its "fanout serving" line, runs bin's own healthcheck against it and
// stops it. It proves the binary serves and answers its health probe.
func serveAndProbe(t *testing.T, bin string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "")
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "fanout serving") {
				addr <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case a := <-addr:
		out := run(t, bin, "healthcheck", "--addr", a)
		if !strings.Contains(out, "200 OK") {
			t.Errorf("healthcheck: %s", out)
		}
	case <-ctx.Done():
		t.Fatal("fanout serve never said where it listens")
	}
}

func lookPath(t *testing.T, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return filepath.Join(dir, name)
			}
		}
		t.Skipf("%s is not installed: %s", name, why)
	}
	return p
}
