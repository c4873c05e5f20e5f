package redis_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// TestServeProcesses runs several `fanout serve` processes on one Redis
// (standalone with two and three nodes, and the three-master cluster)
// and drives them with pusher-js and the pusher Node SDK
// (test/interop/redis-nodes.mjs).
func TestServeProcesses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install Node.js 18+ and run `npm ci` in test/interop (make test does)")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "test/interop/node_modules/pusher-js")); err != nil {
		t.Fatal("test/interop/node_modules is missing: run `npm ci` in test/interop (make test does)")
	}
	bin := filepath.Join(t.TempDir(), "fanout")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fanout")
	build.Dir = root
	if out, err := runBounded(build, 3*time.Minute); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := startRedis(t)
	t.Run("standalone/2", func(t *testing.T) { runNodes(t, bin, node, root, srv.URL(), false, 2) })
	t.Run("standalone/3", func(t *testing.T) { runNodes(t, bin, node, root, srv.URL(), false, 3) })
	cl := startCluster(t)
	t.Run("cluster/3", func(t *testing.T) { runNodes(t, bin, node, root, cl[0].URL(), true, 3) })
}

// nodesConfig is the app of the scripts, with client events on.
const nodesConfig = `apps:
  - id: app-id
    key: app-key
    secret: app-secret
    client_events: true
    auth: {mode: optional}
`

func runNodes(t *testing.T, bin, node, root, redisURL string, cluster bool, n int) {
	cfg := filepath.Join(t.TempDir(), "fanout.yaml")
	if err := os.WriteFile(cfg, []byte(nodesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var ports []string
	for i := range n {
		port := fantest.FreeClusterPort(t)
		ports = append(ports, strconv.Itoa(port))
		args := []string{"serve", "--config", cfg, "--addr", "127.0.0.1:" + ports[i], "--metrics-addr", "",
			"--redis-url", redisURL, "--redis-prefix", "proc" + strconv.Itoa(n), "--log-level", "warn", "--drain", "200ms"}
		if cluster {
			args = append(args, "--redis-cluster")
		}
		cmd := exec.Command(bin, args...)
		logs := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopProcess(cmd)
			if t.Failed() {
				t.Logf("node %d log:\n%s", i, logs)
			}
		})
		waitReady(t, "127.0.0.1:"+ports[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := filepath.Join(root, "test/interop/redis-nodes.mjs")
	cmd := exec.CommandContext(ctx, node, "--test", "--test-force-exit", "--test-reporter=spec", script)
	cmd.Dir = filepath.Join(root, "test/interop")
	cmd.Env = append(os.Environ(), "FANOUT_HOST=127.0.0.1", "FANOUT_PORTS="+strings.Join(ports, ","),
		"FANOUT_APP_ID=app-id", "FANOUT_KEY=app-key", "FANOUT_SECRET=app-secret")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%d nodes (cluster %v): %v\n%s", n, cluster, err, out)
	}
}

func waitReady(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fanout serve on %s not ready within 15s", addr)
}

// stopProcess sends SIGTERM and kills after 15s.
func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
