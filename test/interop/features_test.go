package interop

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// TestMemberLimits: pusher-js presence members at and over the member
// limits, authorized by the pusher SDK.
func TestMemberLimits(t *testing.T) {
	needNode(t)
	run(t, inProcess(t), "node", "--test", "member-limits.mjs")
}

// subCountConfig is the development app with subscription counts on.
func subCountConfig() config.Config {
	cfg := fantest.Config()
	cfg.Apps[0].SubscriptionCount = true
	cfg.Apps[0].SubscriptionCountInterval = 300 * time.Millisecond
	return cfg
}

// TestSubscriptionCountPusherJS: pusher-js's channel.subscriptionCount
// follows the channel's count on one node.
func TestSubscriptionCountPusherJS(t *testing.T) {
	needNode(t)
	runOnNodes(t, []*fantest.Node{fantest.Start(t, subCountConfig(), nil)}, "subscription-count.mjs")
}

// TestSubscriptionCountPusherJSRedis: the same with viewers spread over
// two nodes sharing a redis-server.
func TestSubscriptionCountPusherJSRedis(t *testing.T) {
	needNode(t)
	runOnNodes(t, startRedisPair(t, subCountConfig(), "subcount"), "subscription-count.mjs")
}

// runOnNodes runs script with FANOUT_PORTS naming every node's port.
func runOnNodes(t *testing.T, nodes []*fantest.Node, script string) {
	t.Helper()
	var ports []string
	for _, n := range nodes {
		_, port, _ := net.SplitHostPort(n.Addr())
		ports = append(ports, port)
	}
	app := nodes[0].Cfg.Apps[0]
	tg := target{addr: nodes[0].Addr(), appID: app.ID, key: app.Key, secret: app.Secret,
		extra: []string{"FANOUT_PORTS=" + strings.Join(ports, ",")}}
	run(t, tg, "node", "--test", script)
}

// watchlistConfig is the development app with watchlist events on.
func watchlistConfig() config.Config {
	cfg := fantest.Config()
	cfg.Apps[0].WatchlistEvents = true
	return cfg
}

// TestWatchlistPusherJS: pusher-js's pusher.user.watchlist on one node.
func TestWatchlistPusherJS(t *testing.T) {
	needNode(t)
	runOnNodes(t, []*fantest.Node{fantest.Start(t, watchlistConfig(), nil)}, "watchlist.mjs")
}

// TestWatchlistPusherJSRedis: the watcher and the watched users on two
// nodes sharing a redis-server.
func TestWatchlistPusherJSRedis(t *testing.T) {
	needNode(t)
	runOnNodes(t, startRedisPair(t, watchlistConfig(), "watch"), "watchlist.mjs")
}
