package redis_test

import (
	"strings"
	"testing"

	"github.com/fanout/fanout/broker/redis"
)

// In a Redis Cluster a prefix with braces is refused before anything
// connects: its keys would fall in different slots.
func TestClusterPrefixWithBracesRefused(t *testing.T) {
	_, err := redis.New(redis.Options{URL: "redis://127.0.0.1:1", Cluster: true, Prefix: "a{b}"})
	if err == nil || !strings.Contains(err.Error(), "prefix") {
		t.Fatalf("New with prefix a{b} in a cluster: %v, want a prefix error", err)
	}
}
