package redis_test

import (
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// startAppNode is a node on the Redis at srv under prefix, whose Redis
// forgets a silent node after ttl, with its app changed by tweak.
func startAppNode(t *testing.T, srv *redisServer, prefix string, ttl time.Duration, tweak func(*config.App)) node {
	t.Helper()
	b, err := redis.New(redis.Options{URL: srv.URL(), NodeTTL: ttl, Prefix: prefix})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	cfg := fantest.Config()
	tweak(&cfg.Apps[0])
	n := fantest.Start(t, cfg, b)
	return node{Node: n, b: b, app: cfg.Apps[0]}
}

// startWatchNode is a node with watchlist events on.
func startWatchNode(t *testing.T, srv *redisServer, ttl time.Duration) node {
	t.Helper()
	return startAppNode(t, srv, "w", ttl, func(a *config.App) { a.WatchlistEvents = true })
}

// signinAs signs c in as the user of userData.
func signinAs(t *testing.T, n node, c *fantest.Client, userData string) {
	t.Helper()
	c.Send("pusher:signin", map[string]string{"user_data": userData,
		"auth": auth.SignUser(n.app.Key, n.app.Secret, c.SocketID, userData)})
	nextEvent(t, c, "pusher:signin_success")
}

// TestWatchlistOfflineWhenNodeDies: a watched user whose only connection
// is on a node that crashes goes offline for its watcher on another node
// once the survivors reap the dead node; no one announces it twice.
func TestWatchlistOfflineWhenNodeDies(t *testing.T) {
	srv := startRedis(t)
	ttl := 1500 * time.Millisecond
	a := startWatchNode(t, srv, ttl)
	b := startWatchNode(t, srv, ttl)
	startWatchNode(t, srv, ttl) // a third, so two survivors race to reap

	watcher := fantest.Dial(t, a.URL("app-key"), nil)
	signinAs(t, a, watcher, `{"id":"w","watchlist":["bob"]}`)
	bob := fantest.Dial(t, b.URL("app-key"), nil)
	signinAs(t, b, bob, `{"id":"bob"}`)
	if ev := nextEvent(t, watcher, "pusher_internal:watchlist_events"); ev.DataString() != `{"events":[{"name":"online","user_ids":["bob"]}]}` {
		t.Fatalf("online: %s", ev.Data)
	}
	b.b.Crash()
	start := time.Now()
	ev, err := watcher.NextErr(15 * time.Second)
	if err != nil || ev.Event != "pusher_internal:watchlist_events" || ev.DataString() != `{"events":[{"name":"offline","user_ids":["bob"]}]}` {
		t.Fatalf("after the crash: %+v %v", ev, err)
	}
	if took := time.Since(start); took < ttl/2 {
		t.Errorf("offline %v after the crash, before Redis could forget the node (ttl %v)", took, ttl)
	}
	// bob comes back on a: online again, once.
	back := fantest.Dial(t, a.URL("app-key"), nil)
	signinAs(t, a, back, `{"id":"bob"}`)
	if ev := nextEvent(t, watcher, "pusher_internal:watchlist_events"); ev.DataString() != `{"events":[{"name":"online","user_ids":["bob"]}]}` {
		t.Fatalf("online again: %s", ev.Data)
	}
	if ev, err := watcher.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("a further event: %+v", ev)
	}
}
