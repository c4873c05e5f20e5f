package redis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
)

// A refusal explained after the node that caused it was reaped (the
// explanation runs after its pipeline, and the reaper may run
// meanwhile) still names that node when this node reaped it: the lookup
// finds the listener set without it and every listed node well.
func TestRefusalExplainedAfterReapNamesTheNode(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL()}
	dead := startBroker(t, o, &countHandler{})
	pub := startBroker(t, o, &countHandler{})
	other := startBroker(t, o, &countHandler{})
	dead.Subscribe("app", "x")
	other.Subscribe("app", "y")
	eventually(t, 10*time.Second, "listed", func() bool {
		return listedIn(t, []*redisServer{srv}, "x") == ":1" && listedIn(t, []*redisServer{srv}, "y") == ":1"
	})
	dead.Crash()
	pub.Reap(dead.NodeID(), "crashed")
	if n := listedIn(t, []*redisServer{srv}, "x"); n != ":0" {
		t.Fatalf("listener set after the reap: %s, want empty", n)
	}
	if r := pub.HoldUpReason("app", "x"); !strings.Contains(r, dead.NodeID()) || !strings.Contains(r, "crashed") {
		t.Fatalf("explained after the reap: %q, want the reaped node %s and why", r, dead.NodeID())
	}
	// A node that reaped nobody from a set knows no name for it.
	if r := other.HoldUpReason("app", "x"); strings.Contains(r, dead.NodeID()) {
		t.Fatalf("a node that did not reap names the node: %q", r)
	}
	if r := pub.HoldUpReason("app", "y"); strings.Contains(r, dead.NodeID()) {
		t.Fatalf("a channel the reaped node did not hold names it: %q", r)
	}
}
