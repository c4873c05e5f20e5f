package redis_test

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/redis/rueidis"
)

// redisServer is a redis-server process the test started on a free
// loopback port; it is killed when the test ends.
type redisServer struct {
	t    testing.TB
	port int
	args []string
	cmd  *exec.Cmd
}

const installHint = "redis-server not found: install it with `apt-get install -y redis-server` (make test and .ci/run do)"

// startRedis starts a standalone server without persistence.
func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(installHint)
	}
	s := &redisServer{t: t, port: fantest.FreeClusterPort(t)}
	s.args = append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no"}, extra...)
	s.start()
	t.Cleanup(s.kill)
	return s
}

// clientOf is a client of srv of the test's own (for INFO, CONFIG and
// commands sent as another client would), closed when the test ends.
func clientOf(t testing.TB, srv *redisServer) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (s *redisServer) URL() string  { return fmt.Sprintf("redis://127.0.0.1:%d", s.port) }
func (s *redisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("redis-server: %v (%s)", err, installHint)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := s.do("PING"); err == nil && r == "+PONG" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("redis-server on port %d did not answer PING within 10s", s.port)
}

// kill stops the server at once (SIGKILL), as a crash would.
func (s *redisServer) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// restart starts the server again on the same port, empty.
func (s *redisServer) restart() { s.start() }

// do sends one inline command and returns the first reply line.
func (s *redisServer) do(args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "%s\r\n", strings.Join(args, " "))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// startCluster starts three masters and joins them into a Redis Cluster.
func startCluster(t testing.TB) []*redisServer {
	t.Helper()
	dir := t.TempDir()
	var nodes []*redisServer
	var addrs []string
	for i := range 3 {
		conf := fmt.Sprintf("%s/nodes-%d.conf", dir, i)
		s := startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", conf, "--dir", dir,
			"--cluster-node-timeout", "2000")
		nodes = append(nodes, s)
		addrs = append(addrs, s.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.Command("redis-cli", args...)
	if out, err := runBounded(cmd, 30*time.Second); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range nodes {
		for !clusterOK(s) {
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok within 20s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

func clusterOK(s *redisServer) bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "CLUSTER INFO\r\n")
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if strings.HasPrefix(line, "cluster_state:") {
			return strings.TrimSpace(line) == "cluster_state:ok"
		}
	}
}

func runBounded(cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(out.String()), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return []byte(out.String()), fmt.Errorf("timed out after %v", d)
	}
}
