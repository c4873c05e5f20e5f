package redis_test

import (
	"strings"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// TestFirstMomentRedis: the first moment of subscriptions over Redis
// (standalone, and a cluster with sharded pub/sub), 100 clients, 10 at a
// time (fantest.FirstMoment). An event stream publishes as soon as its
// 200 arrives, through its own node or another one: the 200 waits until
// Redis confirmed the node's subscription, so every event reaches its
// stream. A WebSocket publishes while its subscribe is on its way and
// again on subscription_succeeded: the first is never refused for a
// subscription that is merely joining, the second always arrives.
func TestFirstMomentRedis(t *testing.T) {
	urls := map[string]string{"standalone": startRedis(t).URL(), "cluster": startCluster(t)[0].URL()}
	for _, c := range []struct {
		name, redis   string
		ws, otherNode bool
	}{
		{"stream/standalone", "standalone", false, false},
		{"stream/cluster", "cluster", false, false},
		{"stream/other-node", "standalone", false, true},
		{"stream/other-node-cluster", "cluster", false, true},
		{"websocket/standalone", "standalone", true, false},
		{"websocket/cluster", "cluster", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := startNode(t, urls[c.redis], c.redis == "cluster", 0)
			f := fantest.FirstMoment{Clients: 100, Parallel: 10, Prefix: strings.ReplaceAll(c.name, "/", "."), WebSocket: c.ws}
			if c.otherNode {
				f.Via = startNode(t, urls[c.redis], c.redis == "cluster", 0).Node
			}
			rep := f.Run(t, n.Node, n.app)
			t.Log(rep)
			if !rep.OK() || rep.Refused != 0 {
				t.Fatalf("events published after the client was told it is subscribed went missing, or publishes were refused:\n%s", rep)
			}
		})
	}
}
