package config

import (
	"errors"
	"testing"
	"time"
)

// TestRedisNodeTTL: redis.node_ttl defaults to 15s, is read from the file,
// FANOUT_REDIS_NODE_TTL and --redis-node-ttl in that order of precedence,
// and refuses less than 1s.
func TestRedisNodeTTL(t *testing.T) {
	if c := mustLoad(t, "", nil, nil); c.Redis.NodeTTL != 15*time.Second {
		t.Fatalf("default node_ttl %v, want 15s", c.Redis.NodeTTL)
	}
	path := writeFile(t, "redis:\n  node_ttl: 20s\n")
	if c := mustLoad(t, path, nil, nil); c.Redis.NodeTTL != 20*time.Second {
		t.Fatalf("file node_ttl %v, want 20s", c.Redis.NodeTTL)
	}
	env := []string{"FANOUT_REDIS_NODE_TTL=25s"}
	if c := mustLoad(t, path, env, nil); c.Redis.NodeTTL != 25*time.Second {
		t.Fatalf("env node_ttl %v, want 25s", c.Redis.NodeTTL)
	}
	if c := mustLoad(t, path, env, []string{"--redis-node-ttl", "3s"}); c.Redis.NodeTTL != 3*time.Second {
		t.Fatalf("flag node_ttl %v, want 3s", c.Redis.NodeTTL)
	}
	_, err := Load("", nil, []string{"--redis-node-ttl", "500ms"})
	var ce ConfigError
	want := "config: redis.node_ttl: 500ms is shorter than 1s (nodes heartbeat every third of it)"
	if !errors.As(err, &ce) || ce.Key != "redis.node_ttl" || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestRedisStrictRefusals: redis.strict_refusals defaults to false and is
// read from the file, FANOUT_REDIS_STRICT_REFUSALS and
// --redis-strict-refusals in that order of precedence.
func TestRedisStrictRefusals(t *testing.T) {
	if c := mustLoad(t, "", nil, nil); c.Redis.StrictRefusals {
		t.Fatal("strict_refusals on by default")
	}
	path := writeFile(t, "redis:\n  strict_refusals: true\n")
	if c := mustLoad(t, path, nil, nil); !c.Redis.StrictRefusals {
		t.Fatal("file strict_refusals: true not read")
	}
	env := []string{"FANOUT_REDIS_STRICT_REFUSALS=false"}
	if c := mustLoad(t, path, env, nil); c.Redis.StrictRefusals {
		t.Fatal("env strict_refusals=false not read")
	}
	if c := mustLoad(t, path, env, []string{"--redis-strict-refusals"}); !c.Redis.StrictRefusals {
		t.Fatal("flag --redis-strict-refusals not read")
	}
}

// TestRedisClusterPrefixBraces: in a Redis Cluster, redis.prefix must not
// hold braces (part of it would become a hash tag and split the keys one
// script needs over slots); on a standalone Redis it may.
func TestRedisClusterPrefixBraces(t *testing.T) {
	url := []string{"--redis-url", "redis://127.0.0.1:7000"}
	_, err := Load("", nil, append(url, "--redis-cluster", "--redis-prefix", "app{1}"))
	var ce ConfigError
	if !errors.As(err, &ce) || ce.Key != "redis.prefix" {
		t.Fatalf("cluster with prefix app{1}: %v, want a redis.prefix error", err)
	}
	if _, err := Load("", nil, append(url, "--redis-cluster", "--redis-prefix", "app-1")); err != nil {
		t.Fatalf("cluster with prefix app-1: %v", err)
	}
	if _, err := Load("", nil, append(url, "--redis-prefix", "app{1}")); err != nil {
		t.Fatalf("standalone with prefix app{1}: %v", err)
	}
}
