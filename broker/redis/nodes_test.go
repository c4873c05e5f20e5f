package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// node is one in-process fanout node on a Redis broker.
type node struct {
	*fantest.Node
	b   *redis.Broker
	app config.App
}

func startNode(t *testing.T, redisURL string, cluster bool, ttl time.Duration) node {
	t.Helper()
	b, err := redis.New(redis.Options{URL: redisURL, Cluster: cluster, NodeTTL: ttl, Prefix: "t"})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	cfg := fantest.Config()
	cfg.Apps[0].ClientEvents = true
	n := fantest.Start(t, cfg, b)
	return node{Node: n, b: b, app: cfg.Apps[0]}
}

// eventually polls cond every 20ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listening(t *testing.T, n node, channel string) {
	t.Helper()
	eventually(t, 5*time.Second, "node listening on "+channel, func() bool { return n.b.Listening(n.app.ID, channel) })
}

// nextEvent skips events other than name.
func nextEvent(t *testing.T, c *fantest.Client, name string) fantest.Event {
	t.Helper()
	for range 50 {
		ev := c.Next()
		if ev.Event == name {
			return ev
		}
	}
	t.Fatalf("no %s within 50 events", name)
	return fantest.Event{}
}

func TestRedisStandalone(t *testing.T) {
	srv := startRedis(t)
	t.Run("publish", func(t *testing.T) { scenarioPublish(t, srv.URL(), false) })
	t.Run("presence", func(t *testing.T) { scenarioPresence(t, srv.URL(), false) })
	t.Run("terminate", func(t *testing.T) { scenarioTerminate(t, srv.URL(), false) })
}

func TestRedisCluster(t *testing.T) {
	nodes := startCluster(t)
	u := nodes[0].URL()
	t.Run("publish", func(t *testing.T) { scenarioPublish(t, u, true) })
	t.Run("presence", func(t *testing.T) { scenarioPresence(t, u, true) })
	t.Run("terminate", func(t *testing.T) { scenarioTerminate(t, u, true) })
}

// scenarioPublish: events published on A reach B's subscribers in order,
// the publisher's socket_id is excluded on another node, and the HTTP API
// answers the same subscription count on every node.
func scenarioPublish(t *testing.T, redisURL string, cluster bool) {
	a := startNode(t, redisURL, cluster, 0)
	b := startNode(t, redisURL, cluster, 0)
	ch := "orders"
	c1 := fantest.Dial(t, b.URL("app-key"), nil)
	c2 := fantest.Dial(t, b.URL("app-key"), nil)
	c3 := fantest.Dial(t, a.URL("app-key"), nil)
	for _, c := range []*fantest.Client{c1, c2, c3} {
		c.Subscribe(ch)
	}
	listening(t, b, ch)
	const n = 200
	for i := range n {
		if code, body := a.Publish(t, a.app, ch, "e", fmt.Sprint(i)); code != 200 {
			t.Fatalf("publish %d: %d %s", i, code, body)
		}
	}
	for i := range n {
		ev := nextEvent(t, c1, "e")
		if ev.DataString() != fmt.Sprint(i) {
			t.Fatalf("event %d on node B carried %q: order lost", i, ev.DataString())
		}
	}
	// socket_id exclusion across nodes: c2 (on B) publishes through A.
	body, _ := json.Marshal(map[string]any{"name": "x", "channel": ch, "data": "excl", "socket_id": c2.SocketID})
	if code, resp := a.API(t, a.app, "POST", "/apps/"+a.app.ID+"/events", nil, body); code != 200 {
		t.Fatalf("publish: %d %s", code, resp)
	}
	if ev := nextEvent(t, c1, "x"); ev.DataString() != "excl" {
		t.Fatalf("c1 got %q", ev.DataString())
	}
	for range n {
		nextEvent(t, c2, "e")
	}
	if ev, err := c2.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("excluded socket on another node got %+v", ev)
	}
	// cluster-wide channel info: 3 subscriptions, the same on A and B.
	for _, nd := range []node{a, b} {
		eventually(t, 5*time.Second, "subscription_count 3 on every node", func() bool {
			code, body := nd.API(t, nd.app, "GET", "/apps/"+nd.app.ID+"/channels/"+ch, url.Values{"info": {"subscription_count"}}, nil)
			return code == 200 && strings.Contains(body, `"subscription_count":3`)
		})
		code, body := nd.API(t, nd.app, "GET", "/apps/"+nd.app.ID+"/channels", nil, nil)
		if code != 200 || !strings.Contains(body, `"`+ch+`"`) {
			t.Fatalf("channels on a node: %d %s", code, body)
		}
	}
}

type presenceSucceeded struct {
	Presence struct {
		IDs   []string `json:"ids"`
		Count int      `json:"count"`
	} `json:"presence"`
}

func joinPresence(t *testing.T, n node, c *fantest.Client, ch, user string) presenceSucceeded {
	t.Helper()
	cd := `{"user_id":"` + user + `","user_info":{"name":"` + user + `"}}`
	sig := auth.SignChannel(n.app.Key, n.app.Secret, c.SocketID, ch, cd)
	c.Send("pusher:subscribe", map[string]string{"channel": ch, "auth": sig, "channel_data": cd})
	ev := nextEvent(t, c, "pusher_internal:subscription_succeeded")
	var p presenceSucceeded
	if err := json.Unmarshal([]byte(ev.DataString()), &p); err != nil {
		t.Fatalf("subscription_succeeded data %q: %v", ev.DataString(), err)
	}
	sort.Strings(p.Presence.IDs)
	return p
}

func users(t *testing.T, n node, ch string) string {
	code, body := n.API(t, n.app, "GET", "/apps/"+n.app.ID+"/channels/"+ch+"/users", nil, nil)
	if code != 200 {
		t.Fatalf("users: %d %s", code, body)
	}
	return body
}

// scenarioPresence: members are cluster-wide; a user on two nodes is
// added once and removed once; a crashed node's members leave by
// themselves.
func scenarioPresence(t *testing.T, redisURL string, cluster bool) {
	ttl := 1500 * time.Millisecond
	a := startNode(t, redisURL, cluster, ttl)
	b := startNode(t, redisURL, cluster, ttl)
	ch := "presence-room"
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	if p := joinPresence(t, a, ca, ch, "alice"); p.Presence.Count != 1 {
		t.Fatalf("alice alone: %+v", p)
	}
	listening(t, a, ch)
	cb := fantest.Dial(t, b.URL("app-key"), nil)
	p := joinPresence(t, b, cb, ch, "bob")
	if p.Presence.Count != 2 || strings.Join(p.Presence.IDs, ",") != "alice,bob" {
		t.Fatalf("bob on node B sees %+v, want alice and bob", p.Presence)
	}
	if ev := nextEvent(t, ca, "pusher_internal:member_added"); !strings.Contains(ev.DataString(), `"bob"`) {
		t.Fatalf("member_added on A: %s", ev.DataString())
	}
	listening(t, b, ch)
	// alice again, on node B: no second member_added.
	cb2 := fantest.Dial(t, b.URL("app-key"), nil)
	if p := joinPresence(t, b, cb2, ch, "alice"); p.Presence.Count != 2 {
		t.Fatalf("second alice: %+v", p.Presence)
	}
	for _, nd := range []node{a, b} {
		if body := users(t, nd, ch); !strings.Contains(body, `"alice"`) || !strings.Contains(body, `"bob"`) {
			t.Fatalf("users on a node: %s", body)
		}
		code, body := nd.API(t, nd.app, "GET", "/apps/"+nd.app.ID+"/channels/"+ch, url.Values{"info": {"user_count"}}, nil)
		if code != 200 || !strings.Contains(body, `"user_count":2`) {
			t.Fatalf("user_count on a node: %d %s", code, body)
		}
	}
	// alice leaves node A but stays on B: no member_removed.
	ca.Conn.Close()
	time.Sleep(200 * time.Millisecond)
	if body := users(t, b, ch); !strings.Contains(body, `"alice"`) {
		t.Fatalf("alice still connected on B but gone: %s", body)
	}
	// node B crashes: alice and bob leave, seen from a third node.
	c := startNode(t, redisURL, cluster, ttl)
	cc := fantest.Dial(t, c.URL("app-key"), nil)
	if p := joinPresence(t, c, cc, ch, "carol"); p.Presence.Count != 3 {
		t.Fatalf("carol sees %+v", p.Presence)
	}
	listening(t, c, ch)
	b.b.Crash()
	gone := map[string]bool{}
	for len(gone) < 2 {
		ev := nextEvent(t, cc, "pusher_internal:member_removed")
		var m struct {
			UserID string `json:"user_id"`
		}
		_ = json.Unmarshal([]byte(ev.DataString()), &m)
		gone[m.UserID] = true
	}
	if !gone["alice"] || !gone["bob"] {
		t.Fatalf("removed after crash: %v", gone)
	}
	if body := users(t, c, ch); strings.Contains(body, "alice") || strings.Contains(body, "bob") || !strings.Contains(body, "carol") {
		t.Fatalf("users after crash: %s", body)
	}
}

// scenarioTerminate: terminate_connections on A closes the user's
// connection on B.
func scenarioTerminate(t *testing.T, redisURL string, cluster bool) {
	a := startNode(t, redisURL, cluster, 0)
	b := startNode(t, redisURL, cluster, 0)
	c := fantest.Dial(t, b.URL("app-key"), nil)
	ud := `{"id":"dave"}`
	c.Send("pusher:signin", map[string]string{"user_data": ud, "auth": auth.SignUser(b.app.Key, b.app.Secret, c.SocketID, ud)})
	nextEvent(t, c, "pusher:signin_success")
	eventually(t, 5*time.Second, "control channel listening", func() bool { return b.b.Ready() == nil })
	time.Sleep(100 * time.Millisecond)
	code, body := a.API(t, a.app, "POST", "/apps/"+a.app.ID+"/users/dave/terminate_connections", nil, []byte("{}"))
	if code != 200 {
		t.Fatalf("terminate: %d %s", code, body)
	}
	if got, err := c.CloseCode(5 * time.Second); err != nil || got == 0 {
		t.Fatalf("dave on node B not closed: code %d, %v", got, err)
	}
}

// TestPresenceIndexHoldsOnlyCurrentChannels: a node's presence index in
// Redis (the channels a resync or a reaper walks) lists a channel while
// the node has a member on it and forgets it when the last one leaves,
// whether by unsubscribing or by closing; it does not grow with every
// presence channel the node ever served.
func TestPresenceIndexHoldsOnlyCurrentChannels(t *testing.T) {
	srv := startRedis(t)
	n := startNode(t, srv.URL(), false, 0)
	index := "t:np:" + n.b.NodeID()
	indexed := func() string {
		r, err := srv.do("SCARD", index)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	stay := fantest.Dial(t, n.URL("app-key"), nil)
	joinPresence(t, n, stay, "presence-stay", "ann")
	for i := range 20 {
		c := fantest.Dial(t, n.URL("app-key"), nil)
		ch := fmt.Sprintf("presence-gone-%d", i)
		joinPresence(t, n, c, ch, "bob")
		if i%2 == 0 {
			c.Send("pusher:unsubscribe", map[string]string{"channel": ch})
		} else {
			c.Conn.Close()
		}
	}
	eventually(t, 10*time.Second, "only presence-stay indexed", func() bool { return indexed() == ":1" })
	stay.Conn.Close()
	eventually(t, 10*time.Second, "nothing indexed once the last member left", func() bool { return indexed() == ":0" })
}

// TestLateMemberEventNotRepeated: a user who joined on node B just
// before another joined on node A is in A's subscription_succeeded list;
// B's member_added for them, should it reach A only after that list, is
// not sent to A's subscriber again (pusher-js would fire
// pusher:member_added for someone it already lists). A member event of a
// later change still is. The late arrival is produced by publishing B's
// member_added once more, with the presence version it had.
func TestLateMemberEventNotRepeated(t *testing.T) {
	srv := startRedis(t)
	a := startNode(t, srv.URL(), false, 0)
	b := startNode(t, srv.URL(), false, 0)
	ch := "presence-late"
	cb := fantest.Dial(t, b.URL("app-key"), nil)
	joinPresence(t, b, cb, ch, "u1")
	// The channel is new: u1's join is its presence version 1, u2's is 2.
	const u1Joined, later = 1, 3
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	if p := joinPresence(t, a, ca, ch, "u2"); fmt.Sprint(p.Presence.IDs) != "[u1 u2]" {
		t.Fatalf("u2's member list %v, want [u1 u2]", p.Presence.IDs)
	}
	added := func(user string, v uint64) broker.Publication {
		return broker.Publication{App: "app-id", Channel: ch, Event: "pusher_internal:member_added",
			Data: `"{\"user_id\":\"` + user + `\"}"`, PresenceVersion: v}
	}
	if err := b.b.Publish(context.Background(), added("u1", u1Joined), added("u3", later)); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, ca, "pusher_internal:member_added")
	if !strings.Contains(ev.DataString(), `"u3"`) {
		t.Fatalf("u2 got %s, want only the later member u3: u1 is in its list already", ev.DataString())
	}
}

// TestPresenceListsConvergeUnderConcurrentJoins: 30 users subscribe to one
// presence channel at once, half on each of two nodes. Each client keeps
// its member list as pusher-js does (subscription_succeeded replaces it,
// then member_added and member_removed apply in order): every list must
// end with all 30, and no event may add a member already listed. Member
// events that reached a node before a client's list was sent used to go
// out first and be wiped by the list (4 runs of 10 in a probe).
func TestPresenceListsConvergeUnderConcurrentJoins(t *testing.T) {
	srv := startRedis(t)
	nodes := []node{startNode(t, srv.URL(), false, 0), startNode(t, srv.URL(), false, 0)}
	for round := range 3 {
		ch := fmt.Sprintf("presence-converge-%d", round)
		const users = 30
		cs := make([]*fantest.Client, users)
		for i := range cs {
			cs[i] = fantest.Dial(t, nodes[i%2].URL("app-key"), nil)
		}
		for i, c := range cs {
			n := nodes[i%2]
			cd := fmt.Sprintf(`{"user_id":"u%d"}`, i)
			c.Send("pusher:subscribe", map[string]string{"channel": ch, "channel_data": cd,
				"auth": auth.SignChannel(n.app.Key, n.app.Secret, c.SocketID, ch, cd)})
		}
		errs := make(chan error, users)
		for i, c := range cs {
			go func() { errs <- followMembers(c, users) }()
			_ = i
		}
		for range users {
			if err := <-errs; err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		for _, c := range cs {
			c.Conn.Close()
		}
	}
}

// followMembers applies c's presence events as pusher-js does until its
// list holds want members; it reports an event that adds a listed member
// or removes an absent one.
func followMembers(c *fantest.Client, want int) error {
	var list map[string]bool // nil until subscription_succeeded
	for len(list) < want {
		ev, err := c.NextErr(10 * time.Second)
		if err != nil {
			return fmt.Errorf("%s: %d members, waiting: %v", c.SocketID, len(list), err)
		}
		var d struct {
			UserID   string `json:"user_id"`
			Presence struct {
				IDs []string `json:"ids"`
			} `json:"presence"`
		}
		_ = json.Unmarshal([]byte(ev.DataString()), &d)
		switch ev.Event {
		case "pusher_internal:subscription_succeeded":
			list = map[string]bool{}
			for _, id := range d.Presence.IDs {
				list[id] = true
			}
		case "pusher_internal:member_added":
			if list != nil && list[d.UserID] {
				return fmt.Errorf("%s: member_added %s, already listed", c.SocketID, d.UserID)
			}
			if list != nil {
				list[d.UserID] = true
			}
		case "pusher_internal:member_removed":
			return fmt.Errorf("%s: member_removed %s while nobody leaves", c.SocketID, d.UserID)
		}
	}
	return nil
}
