package redis_test

import (
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// TestStreamFirstMomentRedis: the first moment of event streams on a node
// over Redis (standalone, and a cluster with sharded pub/sub): 100
// streams, 10 at a time, each publishing as soon as its 200 arrives. The
// 200 waits until Redis confirmed the node's subscription, so every event
// reaches its stream, and none is refused for a subscription that was
// still on its way.
func TestStreamFirstMomentRedis(t *testing.T) {
	run := func(t *testing.T, url string, cluster bool) {
		n := startNode(t, url, cluster, 0)
		rep := fantest.FirstMoment{Streams: 100, Parallel: 10, Prefix: "first"}.Run(t, n.Node, n.app)
		t.Log(rep)
		if !rep.OK() || rep.Refused != 0 {
			t.Fatalf("events published after a stream's 200 went missing or were refused:\n%s", rep)
		}
	}
	t.Run("standalone", func(t *testing.T) { run(t, startRedis(t).URL(), false) })
	t.Run("cluster", func(t *testing.T) { run(t, startCluster(t)[0].URL(), true) })
}
