package redis_test

import (
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// TestFirstMomentRedis: the first moment of subscriptions on a node over
// Redis (standalone, and a cluster with sharded pub/sub), 100 clients, 10
// at a time (fantest.FirstMoment). An event stream publishes as soon as
// its 200 arrives: the 200 waits until Redis confirmed the node's
// subscription, so every event reaches its stream. A WebSocket publishes
// while its subscribe is on its way and again on subscription_succeeded:
// the first is never refused for a subscription that is merely joining,
// the second always arrives.
func TestFirstMomentRedis(t *testing.T) {
	urls := map[string]string{"standalone": startRedis(t).URL(), "cluster": startCluster(t)[0].URL()}
	for _, transport := range []string{"stream", "websocket"} {
		for _, redis := range []string{"standalone", "cluster"} {
			t.Run(transport+"/"+redis, func(t *testing.T) {
				n := startNode(t, urls[redis], redis == "cluster", 0)
				f := fantest.FirstMoment{Clients: 100, Parallel: 10, Prefix: transport, WebSocket: transport == "websocket"}
				rep := f.Run(t, n.Node, n.app)
				t.Log(rep)
				if !rep.OK() || rep.Refused != 0 {
					t.Fatalf("events published after the client was told it is subscribed went missing, or publishes were refused:\n%s", rep)
				}
			})
		}
	}
}
