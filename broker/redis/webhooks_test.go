package redis_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// hookLog is a real webhook endpoint that counts what every node sent.
type hookLog struct {
	mu     sync.Mutex
	counts map[webhook.Event]int
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := readHook(w, r, "")
	if !ok {
		return
	}
	h.mu.Lock()
	for _, e := range p.Events {
		h.counts[webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID}]++
	}
	h.mu.Unlock()
}

func (h *hookLog) count(name, channel, user string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[webhook.Event{Name: name, Channel: channel, UserID: user}]
}

func startHookNode(t *testing.T, srv *redisServer, hookURL string, ttl time.Duration) node {
	t.Helper()
	return startHookNodeAt(t, srv.URL(), hookURL, ttl)
}

// startHookNodeAt is startHookNode for the Redis at redisURL.
func startHookNodeAt(t *testing.T, redisURL, hookURL string, ttl time.Duration) node {
	t.Helper()
	b, err := redis.New(redis.Options{URL: redisURL, NodeTTL: ttl, Prefix: "t"})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	cfg := fantest.Config()
	cfg.Apps[0].ClientEvents = true
	cfg.Apps[0].Webhooks.URL = hookURL
	cfg.Apps[0].Webhooks.BatchWait = 10 * time.Millisecond
	n := fantest.Start(t, cfg, b)
	return node{Node: n, b: b, app: cfg.Apps[0]}
}

// emptyIndex waits until a node's occupancy index in Redis is empty: its
// vacate scripts have all run.
func emptyIndex(t *testing.T, srv *redisServer, n node) {
	t.Helper()
	eventually(t, 10*time.Second, "occupancy index emptied", func() bool {
		r, err := srv.do("SCARD", "t:no:"+n.b.NodeID())
		return err == nil && r == ":0"
	})
}

// settle waits until a client event sent on each node comes back as a
// webhook: every node's sender posts in order, so any duplicate queued
// before it has arrived by then.
func settle(t *testing.T, h *hookLog, round string, nodes ...node) {
	t.Helper()
	for i, n := range nodes {
		ch := "private-barrier-" + round + "-" + string(rune('a'+i))
		c := fantest.Dial(t, n.URL("app-key"), nil)
		c.Send("pusher:subscribe", map[string]string{"channel": ch, "auth": auth.SignChannel(n.app.Key, n.app.Secret, c.SocketID, ch, "")})
		nextEvent(t, c, "pusher_internal:subscription_succeeded")
		c.SendRaw([]byte(`{"event":"client-x","channel":"` + ch + `","data":{}}`))
		eventually(t, 10*time.Second, "barrier webhook from node", func() bool { return h.count("client_event", ch, "") == 1 })
		c.Send("pusher:unsubscribe", map[string]string{"channel": ch})
	}
}

// TestRedisWebhooksClusterWide: channel_occupied and channel_vacated fire
// once for the cluster, and after a node crashes exactly one survivor
// sends the member_removed and channel_vacated webhooks it never sent.
func TestRedisWebhooksClusterWide(t *testing.T) {
	srv := startRedis(t)
	h := &hookLog{counts: map[webhook.Event]int{}}
	hs := httptest.NewServer(h)
	defer hs.Close()
	ttl := 1500 * time.Millisecond
	a := startHookNode(t, srv, hs.URL, ttl)
	b := startHookNode(t, srv, hs.URL, ttl)
	c := startHookNode(t, srv, hs.URL, ttl)

	var clients []*fantest.Client
	for _, n := range []node{a, b} {
		cl := fantest.Dial(t, n.URL("app-key"), nil)
		cl.Subscribe("news")
		clients = append(clients, cl)
	}
	eventually(t, 10*time.Second, "channel_occupied", func() bool { return h.count("channel_occupied", "news", "") > 0 })
	// Occupancy reaches Redis after subscription_succeeded (each node
	// flushes it in the background): leave only once both nodes are
	// recorded, or a slow flush is a real vacate and occupy in between.
	for _, n := range []node{a, b} {
		eventually(t, 10*time.Second, "occupancy recorded", func() bool {
			r, err := srv.do("SCARD", "t:no:"+n.b.NodeID())
			return err == nil && r == ":1"
		})
	}
	for _, cl := range clients {
		cl.Send("pusher:unsubscribe", map[string]string{"channel": "news"})
	}
	eventually(t, 10*time.Second, "channel_vacated", func() bool { return h.count("channel_vacated", "news", "") > 0 })
	emptyIndex(t, srv, a)
	emptyIndex(t, srv, b)
	settle(t, h, "1", a, b)
	if o, v := h.count("channel_occupied", "news", ""), h.count("channel_vacated", "news", ""); o != 1 || v != 1 {
		t.Fatalf("two nodes joined and left news: %d channel_occupied, %d channel_vacated; want 1 and 1", o, v)
	}

	// B holds bob (presence) and the only subscriber of "solo"; A holds
	// alice in the same presence channel. B crashes.
	ch := "presence-room"
	joinPresence(t, a, fantest.Dial(t, a.URL("app-key"), nil), ch, "alice")
	joinPresence(t, b, fantest.Dial(t, b.URL("app-key"), nil), ch, "bob")
	fantest.Dial(t, b.URL("app-key"), nil).Subscribe("solo")
	eventually(t, 10*time.Second, "member_added bob", func() bool { return h.count("member_added", ch, "bob") == 1 })
	eventually(t, 10*time.Second, "channel_occupied solo", func() bool { return h.count("channel_occupied", "solo", "") == 1 })
	b.b.Crash()
	eventually(t, 15*time.Second, "member_removed bob after the crash", func() bool { return h.count("member_removed", ch, "bob") > 0 })
	eventually(t, 15*time.Second, "channel_vacated solo after the crash", func() bool { return h.count("channel_vacated", "solo", "") > 0 })
	eventually(t, 10*time.Second, "crashed node's index reaped", func() bool {
		r, err := srv.do("EXISTS", "t:no:"+b.b.NodeID())
		return err == nil && r == ":0"
	})
	settle(t, h, "2", a, c)
	if n := h.count("member_removed", ch, "bob"); n != 1 {
		t.Errorf("member_removed bob: %d webhooks, want 1", n)
	}
	if n := h.count("channel_vacated", "solo", ""); n != 1 {
		t.Errorf("channel_vacated solo: %d webhooks, want 1", n)
	}
	if n := h.count("member_removed", ch, "alice") + h.count("channel_vacated", ch, ""); n != 0 {
		t.Errorf("alice is still on node A, yet %d member_removed/channel_vacated webhooks for her channel", n)
	}
}
