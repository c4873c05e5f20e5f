package chaos

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Three nodes on one Redis, presence members on each; one node is
// SIGKILLed. The others must send member_removed for its users to their
// clients, and the member_removed and channel_vacated webhooks, within
// about redis.node_ttl; the HTTP API counts are right afterwards; and the
// surviving clients lose nothing published meanwhile.
func TestNodeKilledPresenceCleanedUp(t *testing.T) {
	const ttl = 2 * time.Second
	const perNode = 3
	rd := StartRedis(t)
	hooks := StartHooks(t)
	var nodes []*Node
	for range 3 {
		nodes = append(nodes, Serve(t, ServeOptions{RedisURL: rd.URL(), NodeTTL: ttl, WebhookURL: hooks.URL}))
	}
	l := ledger.New()
	clients := make([][]*Client, 3)
	for i, n := range nodes {
		for k := range perNode {
			user := fmt.Sprintf("u%d-%d", i, k)
			c, err := Dial(n.URL(), l.Session(user), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			if err := c.Subscribe("presence-room", user, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if i == 2 { // channels only the doomed node's clients use
				if err := c.Subscribe("presence-doomed", user, 5*time.Second); err != nil {
					t.Fatal(err)
				}
				if err := c.Subscribe("doomed", "", 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			clients[i] = append(clients[i], c)
		}
	}
	// Everyone sees all nine members before the kill.
	if _, ok := Eventually(10*time.Second, func() bool {
		ch, err := nodes[0].Channels("presence-")
		return err == nil && ch["presence-room"] == 3*perNode
	}); !ok {
		ch, err := nodes[0].Channels("presence-")
		t.Fatalf("presence-room never reached %d users: %v %v", 3*perNode, ch, err)
	}
	if _, ok := Eventually(10*time.Second, func() bool { _, ok := hooks.Find("channel_occupied", "doomed", ""); return ok }); !ok {
		t.Fatal("no channel_occupied webhook for the doomed channel")
	}

	ctx, cancel := context.WithCancel(context.Background())
	pub := &Publisher{L: l, Node: func() *Node { return nodes[0] }}
	wait := pub.Run(ctx, []string{"presence-room"}, 20*time.Millisecond)

	killed := time.Now()
	nodes[2].Kill()

	// member_removed for each of the dead node's users, on every
	// surviving client.
	var slowest time.Duration
	for i := range 2 {
		for _, c := range clients[i] {
			for k := range perNode {
				user := fmt.Sprintf("u2-%d", k)
				ev, ok := c.WaitFor(3*ttl, func(e Event) bool {
					return e.Event == "pusher_internal:member_removed" && e.Channel == "presence-room" && containsUser(e.Data, user)
				})
				if !ok {
					t.Fatalf("%s never saw member_removed for %s within %v", c.Session.Name, user, 3*ttl)
				}
				slowest = max(slowest, ev.At.Sub(killed))
			}
		}
	}
	// Webhooks: member_removed for each, channel_vacated for both channels.
	var hookLast time.Duration
	for _, want := range []struct{ name, channel, user string }{
		{"channel_vacated", "doomed", ""}, {"channel_vacated", "presence-doomed", ""},
		{"member_removed", "presence-room", "u2-0"}, {"member_removed", "presence-room", "u2-1"}, {"member_removed", "presence-room", "u2-2"},
		{"member_removed", "presence-doomed", "u2-0"},
	} {
		if _, ok := Eventually(3*ttl, func() bool { _, ok := hooks.Find(want.name, want.channel, want.user); return ok }); !ok {
			t.Fatalf("no %s webhook for %s %s within %v", want.name, want.channel, want.user, 3*ttl)
		}
		h, _ := hooks.Find(want.name, want.channel, want.user)
		hookLast = max(hookLast, h.At.Sub(killed))
	}
	t.Logf("node_ttl %v: last member_removed to a client %v after SIGKILL, last webhook %v", ttl, slowest.Round(time.Millisecond), hookLast.Round(time.Millisecond))
	// The bound: the dead node's heartbeat key expires after node_ttl; a
	// survivor notices on its next check (every node_ttl/3), and the
	// webhook sender batches for up to 50 ms. Allow one more period of
	// scheduling slack on this shared machine.
	bound := ttl + ttl/3 + time.Second
	if slowest > bound || hookLast > bound {
		t.Errorf("clean-up took %v (clients) / %v (webhooks), bound %v (node_ttl %v)", slowest, hookLast, bound, ttl)
	}
	if n := hooks.Count("channel_vacated"); n != 2 {
		t.Errorf("%d channel_vacated webhooks, want exactly 2 (doomed, presence-doomed)", n)
	}

	// HTTP API counts on both survivors.
	for i := range 2 {
		ch, err := nodes[i].Channels("presence-")
		all, err2 := nodes[i].Channels("")
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		if ch["presence-room"] != 2*perNode || len(ch) != 1 || len(all) != 1 {
			t.Errorf("node %d channels after the kill: %v (all %v), want only presence-room with %d users", i, ch, all, 2*perNode)
		}
		users, err := nodes[i].Users("presence-room")
		slices.Sort(users)
		want := []string{"u0-0", "u0-1", "u0-2", "u1-0", "u1-1", "u1-2"}
		if err != nil || !slices.Equal(users, want) {
			t.Errorf("node %d users: %v %v, want %v", i, users, err, want)
		}
	}
	// The dead node held presence-room, so its entry in the channel's
	// listener set refuses publishes until it is reaped (node_ttl):
	// nothing goes out that the dead node's clients could still have
	// been waiting for on a live connection.
	if _, ok := Eventually(3*ttl, func() bool { _, ok := l.FirstAcceptedAfter("presence-room", killed); return ok }); !ok {
		t.Fatalf("no publish accepted within %v of the kill", 3*ttl)
	}
	at, _ := l.FirstAcceptedAfter("presence-room", killed)
	t.Logf("node_ttl %v: publishes to the dead node's channel refused until %v after SIGKILL", ttl, at.Sub(killed).Round(time.Millisecond))
	cancel()
	wait()
	settle(l, 2*time.Second)
	// The killed node's clients lost their connection (1006): what
	// was in flight to them at the kill is excused, nothing before.
	r := l.Check(ledger.Options{Reasons: append(slices.Clone(ledger.Reasons), 1006)})
	t.Log(r)
	if !r.OK() || r.Accepted == 0 {
		t.Error(r)
	}
}

func containsUser(data, user string) bool {
	return slices.Contains([]string{`"user_id":"` + user + `"`}, extractUser(data))
}

// extractUser returns the `"user_id":"..."` part of a member event's data.
func extractUser(data string) string {
	for i := 0; i+10 < len(data); i++ {
		if data[i:i+10] == `"user_id":` {
			j := i + 10
			for j < len(data) && data[j] != ',' && data[j] != '}' {
				j++
			}
			return data[i:j]
		}
	}
	return ""
}

// settle gives in-flight deliveries time to land: it waits until no
// session's count changed for 300 ms, at most d.
func settle(l *ledger.Ledger, d time.Duration) {
	last := -1
	stable := time.Now()
	Eventually(d, func() bool {
		n := l.Check(ledger.Options{}).Received
		if n != last {
			last, stable = n, time.Now()
		}
		return time.Since(stable) > 300*time.Millisecond
	})
}
