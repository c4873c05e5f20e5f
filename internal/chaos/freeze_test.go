package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Redis frozen (SIGSTOP, then SIGCONT): no node crashes, /readyz turns
// 503 within a bound, publishes are refused (503) rather than lost, and
// afterwards everything resumes: publishes are accepted, every client
// subscribed before the freeze gets every accepted event, presence
// members are all still there. The freeze outlasts redis.node_ttl, so
// the nodes also come back from having been reaped by each other.
func TestRedisFrozen(t *testing.T) {
	freeze := Pick(5*time.Second, 20*time.Second)
	ttl := Pick(3*time.Second, 15*time.Second)
	rd := StartRedis(t)
	nodes := []*Node{
		Serve(t, ServeOptions{RedisURL: rd.URL(), NodeTTL: ttl}),
		Serve(t, ServeOptions{RedisURL: rd.URL(), NodeTTL: ttl}),
	}
	l := ledger.New()
	channels := []string{"f-0", "f-1", "f-2", "presence-f"}
	var clients []*Client
	for i, n := range nodes {
		for k := range 3 {
			user := fmt.Sprintf("u%d-%d", i, k)
			c, err := Dial(n.URL(), l.Session(user), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			for _, ch := range channels {
				if err := c.Subscribe(ch, user, 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			clients = append(clients, c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: RoundRobin(nodes...)}
	wait := pub.Run(ctx, channels, 20*time.Millisecond)
	if _, ok := Eventually(5*time.Second, func() bool { return !pub.LastAccepted().IsZero() && pub.LastAccepted().Unix() > 0 }); !ok {
		t.Fatal("no publish accepted before the freeze")
	}

	frozen := time.Now()
	rd.Freeze()
	var unready []time.Duration
	for i, n := range nodes {
		d, ok := Eventually(freeze, func() bool { return n.Status("/readyz", time.Second) == 503 })
		if !ok {
			t.Fatalf("node %d /readyz still not 503 after %v of frozen Redis", i, d)
		}
		unready = append(unready, time.Since(frozen))
	}
	lastOK := pub.LastAccepted()
	time.Sleep(time.Until(frozen.Add(freeze))) // the fault's length, not a wait for an outcome
	for i, n := range nodes {
		if n.Exited() {
			t.Fatalf("node %d exited while Redis was frozen:\n%s", i, n.Output())
		}
	}
	thawed := time.Now()
	rd.Thaw()
	var ready []time.Duration
	for i, n := range nodes {
		if _, ok := Eventually(30*time.Second, func() bool { return n.Status("/readyz", time.Second) == 200 }); !ok {
			t.Fatalf("node %d not ready within 30s of SIGCONT", i)
		}
		ready = append(ready, time.Since(thawed))
	}
	if _, ok := Eventually(30*time.Second, func() bool { _, ok := l.FirstAcceptedAfter("", thawed); return ok }); !ok {
		t.Fatal("publishes not accepted again within 30s of SIGCONT")
	}
	at, _ := l.FirstAcceptedAfter("", thawed)
	resumed := at.Sub(thawed)
	// Run on a while after recovery, so restored subscriptions are proven.
	Eventually(2*time.Second, func() bool { return false })
	cancel()
	wait()
	settle(l, 3*time.Second)

	t.Logf("freeze %v, node_ttl %v: /readyz 503 after %v; last accepted publish %v after SIGSTOP; ready again %v and publishes accepted %v after SIGCONT",
		freeze, ttl, round(unready), lastOK.Sub(frozen).Round(time.Millisecond), round(ready), resumed.Round(time.Millisecond))
	acc, ref, byStatus := l.Counts()
	t.Logf("publishes: %d accepted, %d refused %v", acc, ref, byStatus)
	for status := range byStatus {
		if status != 503 {
			t.Errorf("%d publishes answered %d; a frozen Redis must give 503", byStatus[status], status)
		}
	}
	if ref == 0 {
		t.Error("no publish was refused while Redis was frozen")
	}
	r := l.Check(ledger.Options{})
	t.Log(r)
	if !r.OK() {
		t.Error(r)
	}
	// Presence: all six members still there, no one announced gone.
	users, err := nodes[0].Users("presence-f")
	if err != nil || len(users) != 6 {
		t.Errorf("presence-f after the freeze: %v %v, want 6 members", users, err)
	}
	for _, c := range clients {
		for _, e := range c.Events() {
			if e.Event == "pusher_internal:member_removed" {
				t.Errorf("%s saw %s %s after a Redis freeze (nobody left)", c.Session.Name, e.Event, e.Data)
			}
		}
	}
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
