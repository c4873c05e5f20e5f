package redis_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// graceLog is a real webhook endpoint that keeps every event it was sent
// with the time it arrived, and refuses a bad signature.
type graceLog struct {
	mu     sync.Mutex
	events []arrival
}

type arrival struct {
	webhook.Event
	at time.Time
}

func (g *graceLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := readHook(w, r, "app-secret")
	if !ok {
		return
	}
	now := time.Now()
	g.mu.Lock()
	for _, e := range p.Events {
		g.events = append(g.events, arrival{webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID}, now})
	}
	g.mu.Unlock()
}

// count is how many name webhooks arrived for channel (and user).
func (g *graceLog) count(name, channel, user string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, e := range g.events {
		if e.Name == name && e.Channel == channel && e.UserID == user {
			n++
		}
	}
	return n
}

// firstAt is when the first such webhook arrived.
func (g *graceLog) firstAt(name, channel, user string) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range g.events {
		if e.Name == name && e.Channel == channel && e.UserID == user {
			return e.at
		}
	}
	return time.Time{}
}

// startGraceNode runs a node with webhooks.grace set, over the Redis at
// redisURL ("" for the memory broker, a single node).
func startGraceNode(t *testing.T, redisURL, hookURL string, grace time.Duration) node {
	t.Helper()
	cfg := fantest.Config()
	cfg.Apps[0].Webhooks.URL = hookURL
	cfg.Apps[0].Webhooks.BatchWait = 10 * time.Millisecond
	cfg.Apps[0].Webhooks.Grace = grace
	if redisURL == "" {
		return node{Node: fantest.Start(t, cfg, nil), app: cfg.Apps[0]}
	}
	b, err := redis.New(redis.Options{URL: redisURL, Prefix: "t"})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	return node{Node: fantest.Start(t, cfg, b), b: b, app: cfg.Apps[0]}
}

// TestWebhookGrace is a page reload (soketi/soketi#684): the socket of a
// presence and a public channel drops and a new one subscribes to both
// within webhooks.grace, on the same node or, over Redis, on another.
// The backend hears nothing of it. A real leave afterwards sends
// member_removed and both channel_vacated exactly once, no sooner than
// the grace.
func TestWebhookGrace(t *testing.T) {
	// Pusher's 3 s: the reload (a dial and two subscribes) must fit in
	// it on a loaded machine under the race detector.
	const grace = config.DefaultWebhookGrace
	t.Run("one node", func(t *testing.T) {
		t.Parallel()
		g := &graceLog{}
		hs := httptest.NewServer(g)
		defer hs.Close()
		a := startGraceNode(t, "", hs.URL, grace)
		graceScenario(t, g, grace, a, a, func(node) {})
	})
	t.Run("two nodes over redis", func(t *testing.T) {
		t.Parallel()
		srv := startRedis(t)
		g := &graceLog{}
		hs := httptest.NewServer(g)
		defer hs.Close()
		a := startGraceNode(t, srv.URL(), hs.URL, grace)
		b := startGraceNode(t, srv.URL(), hs.URL, grace)
		graceScenario(t, g, grace, a, b, func(n node) { emptyIndex(t, srv, n) })
	})
}

// graceScenario: alice's page is on node a, reloads onto node b, then
// leaves. vacated waits until a node's vacate reached the directory.
func graceScenario(t *testing.T, g *graceLog, grace time.Duration, a, b node, vacated func(node)) {
	const ch, pub, alice = "presence-room", "news", "alice"
	page := fantest.Dial(t, a.URL("app-key"), nil)
	joinPresence(t, a, page, ch, alice)
	page.Subscribe(pub)
	eventually(t, 10*time.Second, "member_added and channel_occupied", func() bool {
		return g.count("member_added", ch, alice) == 1 && g.count("channel_occupied", ch, "") == 1 &&
			g.count("channel_occupied", pub, "") == 1
	})

	// The reload: the old socket is gone everywhere before the new one
	// subscribes, so the leave is a real departure from the cluster.
	page.Conn.Close()
	gone(t, a, ch, pub)
	vacated(a)
	page = fantest.Dial(t, b.URL("app-key"), nil)
	joinPresence(t, b, page, ch, alice)
	page.Subscribe(pub)
	// Markers held after the reload on each node: once their
	// channel_vacated arrived, the reload's grace has passed on both.
	markers(t, g, "1", a, b)
	for _, w := range []struct {
		name, channel, user string
		want                int // 1: the page's first load, not the reload
	}{
		{"member_removed", ch, alice, 0}, {"channel_vacated", ch, "", 0}, {"channel_vacated", pub, "", 0},
		{"member_added", ch, alice, 1}, {"channel_occupied", ch, "", 1}, {"channel_occupied", pub, "", 1},
	} {
		if got := g.count(w.name, w.channel, w.user); got != w.want {
			t.Errorf("after a reload within the grace: %d %s webhooks for %s %s, want %d", got, w.name, w.channel, w.user, w.want)
		}
	}

	// A real leave: one of each, after the grace.
	left := time.Now()
	page.Conn.Close()
	eventually(t, 10*time.Second, "member_removed and channel_vacated", func() bool {
		return g.count("member_removed", ch, alice) > 0 && g.count("channel_vacated", ch, "") > 0 &&
			g.count("channel_vacated", pub, "") > 0
	})
	markers(t, g, "2", a, b)
	for _, w := range []struct{ name, channel, user string }{
		{"member_removed", ch, alice}, {"channel_vacated", ch, ""}, {"channel_vacated", pub, ""},
	} {
		if got := g.count(w.name, w.channel, w.user); got != 1 {
			t.Errorf("after a real leave: %d %s webhooks for %s %s, want 1", got, w.name, w.channel, w.user)
		}
		if d := g.firstAt(w.name, w.channel, w.user).Sub(left); d < grace {
			t.Errorf("after a real leave: %s for %s came %v after the close, before the grace (%v) ended", w.name, w.channel, d, grace)
		}
	}
}

// gone waits until n's HTTP API no longer lists the presence channel's
// members nor the public channel.
func gone(t *testing.T, n node, presence, public string) {
	t.Helper()
	eventually(t, 10*time.Second, "the old socket's leave", func() bool {
		code, body := n.API(t, n.app, "GET", "/apps/"+n.app.ID+"/channels", nil, nil)
		return strings.TrimSpace(users(t, n, presence)) == `{"users":[]}` && code == 200 && !strings.Contains(body, `"`+public+`"`)
	})
}

// markers subscribes to and leaves a channel of its own on each node and
// waits for their held channel_vacated: each node settles its held
// departures in the order of their deadlines and posts in order, so every
// departure held before the marker has been settled and sent by then.
func markers(t *testing.T, g *graceLog, round string, nodes ...node) {
	t.Helper()
	var chs []string
	for i, n := range nodes {
		ch := "marker-" + round + "-" + string(rune('a'+i))
		c := fantest.Dial(t, n.URL("app-key"), nil)
		c.Subscribe(ch)
		c.Send("pusher:unsubscribe", map[string]string{"channel": ch})
		chs = append(chs, ch)
	}
	for _, ch := range chs {
		eventually(t, 10*time.Second, "marker "+ch, func() bool { return g.count("channel_vacated", ch, "") == 1 })
	}
}

// TestRedisHeldDepartureTokens: over a real Redis, two nodes' directories
// agree on held departures: a leave on one and a return on the other
// cancel each other; a later departure of the same user is not taken by
// the settle of an earlier one; each settles due exactly once.
func TestRedisHeldDepartureTokens(t *testing.T) {
	srv := startRedis(t)
	var dirs [2]*redis.Broker
	for i := range dirs {
		b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "hd"})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Start(&countHandler{}); err != nil {
			t.Fatal(err)
		}
		dirs[i] = b
	}
	a, b := dirs[0], dirs[1]
	wait := func(op func(done func(broker.Transition))) broker.Transition {
		got := make(chan broker.Transition, 1)
		op(func(t broker.Transition) { got <- t })
		return <-got
	}
	join := func(d *redis.Broker) broker.Transition {
		return wait(func(done func(broker.Transition)) {
			d.JoinPresence("app", "presence-x", broker.Member{ID: "u"}, true, func(t broker.Transition, _ []broker.Member) { done(t) })
		})
	}
	leave := func(d *redis.Broker) broker.Transition {
		return wait(func(done func(broker.Transition)) { d.LeavePresence("app", "presence-x", "u", true, true, done) })
	}
	if t0 := join(a); !t0.Cluster || t0.Returned {
		t.Fatalf("first join: %+v", t0)
	}
	first := leave(a)
	if first.Held.IsZero() {
		t.Fatalf("last leave with hold: %+v", first)
	}
	if back := join(b); !back.Cluster || !back.Returned {
		t.Fatalf("return on the other node within the grace: %+v, want Cluster and Returned", back)
	}
	if a.Settle(first.Held) {
		t.Fatal("settle after a return on another node said due")
	}
	second := leave(b)
	if a.Settle(first.Held) {
		t.Fatal("the first departure's settle took the second one")
	}
	if !b.Settle(second.Held) || a.Settle(second.Held) {
		t.Fatal("the second departure must settle due exactly once, on any node")
	}

	occupy := func(d *redis.Broker) broker.Transition {
		return wait(func(done func(broker.Transition)) { d.OccupyChannel("app", "news", done) })
	}
	vacate := func(d *redis.Broker) broker.Transition {
		return wait(func(done func(broker.Transition)) { d.VacateChannel("app", "news", true, done) })
	}
	occupy(a)
	vac := vacate(a)
	if back := occupy(b); !back.Cluster || !back.Returned || a.Settle(vac.Held) {
		t.Fatalf("channel back on the other node within the grace: %+v; its vacancy must not settle due", back)
	}
	vac = vacate(b)
	if !a.Settle(vac.Held) || b.Settle(vac.Held) {
		t.Fatal("a real vacancy must settle due exactly once")
	}
}
