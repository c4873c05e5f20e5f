package chaos

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters, each with its replicas.
type Cluster struct {
	Nodes []*Redis // the first len/(1+replicas) were created as masters
}

// StartCluster starts masters*(1+replicas) cluster-enabled servers and
// joins them with `redis-cli --cluster create ... --cluster-replicas`.
// nodeTimeout is cluster-node-timeout: how long a master may be silent
// before its replica takes over.
func StartCluster(t testing.TB, masters, replicas int, nodeTimeout time.Duration) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c := &Cluster{}
	var addrs []string
	for i := range masters * (1 + replicas) {
		r := StartRedis(t, "--cluster-enabled", "yes", "--dir", dir,
			"--cluster-config-file", fmt.Sprintf("%s/nodes-%d.conf", dir, i),
			"--cluster-node-timeout", fmt.Sprint(nodeTimeout.Milliseconds()))
		c.Nodes = append(c.Nodes, r)
		addrs = append(addrs, r.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", fmt.Sprint(replicas), "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if _, ok := Eventually(30*time.Second, func() bool { return c.healthy(len(addrs)) }); !ok {
		t.Fatalf("cluster not ok within 30s")
	}
	return c
}

// healthy: every live node reports cluster_state:ok and knows want nodes
// as connected.
func (c *Cluster) healthy(want int) bool {
	for _, r := range c.Nodes {
		if r.Exited() {
			continue
		}
		info, err := r.Do("CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") ||
			!strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", want)) {
			return false
		}
	}
	return true
}

// Masters returns the nodes that are masters now (by CLUSTER NODES as the
// first live node sees it), by port.
func (c *Cluster) Masters() map[int]bool {
	for _, r := range c.Nodes {
		if r.Exited() {
			continue
		}
		out, err := r.Do("CLUSTER", "NODES")
		if err != nil {
			continue
		}
		m := map[int]bool{}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || !strings.Contains(f[2], "master") || strings.Contains(f[2], "fail") {
				continue
			}
			var port int
			if _, err := fmt.Sscanf(f[1][strings.LastIndex(f[1], ":")+1:], "%d", &port); err == nil {
				m[port] = true
			}
		}
		return m
	}
	return nil
}

// StateOK reports whether every live node says cluster_state:ok.
func (c *Cluster) StateOK() bool {
	for _, r := range c.Nodes {
		if r.Exited() {
			continue
		}
		info, err := r.Do("CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return false
		}
	}
	return true
}
