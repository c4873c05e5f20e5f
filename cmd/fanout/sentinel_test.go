package main

import (
	"strings"
	"testing"
)

// A bad sentinel setting is a configuration error (exit 2, naming the
// key); sentinels that do not answer are an outage a supervisor may
// retry (exit 1), as an unreachable Redis Cluster is.
func TestSentinelBadSettingExitsTwoUnreachableOne(t *testing.T) {
	code, _, stderr := runCmd("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--redis-sentinel-master-name", "m")
	if code != 2 || !strings.Contains(stderr, "redis.sentinel.addrs") {
		t.Fatalf("master name without sentinels: exit %d, %q; want 2 naming redis.sentinel.addrs", code, stderr)
	}
	code, _, stderr = runCmd("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--redis-sentinel-master-name", "m", "--redis-sentinel-addrs", "127.0.0.1:1,127.0.0.1:2")
	if code != 1 || !strings.Contains(stderr, `redis.sentinel: redis: connect sentinel master "m" via [127.0.0.1:1 127.0.0.1:2]`) {
		t.Fatalf("unreachable sentinels: exit %d, %q; want 1", code, stderr)
	}
}
