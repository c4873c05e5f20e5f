package chaos

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Redis Cluster, three masters with a replica each; one master is
// SIGKILLed and its replica promoted. Delivery resumes on every channel
// (the time is measured: the publish recovery bound), subscriptions and
// presence are restored, and the ledger shows every event either
// delivered or refused with 503, none vanished.
func TestClusterMasterFailover(t *testing.T) {
	NeedLong(t)
	const nodeTimeout = 2 * time.Second
	cl := StartCluster(t, 3, 1, nodeTimeout)
	seed := cl.Nodes[0].URL()
	nodes := []*Node{
		Serve(t, ServeOptions{RedisURL: seed, RedisCluster: true, NodeTTL: 5 * time.Second}),
		Serve(t, ServeOptions{RedisURL: seed, RedisCluster: true, NodeTTL: 5 * time.Second}),
	}
	l := ledger.New()
	var channels []string
	for i := range 30 { // spread over the slots of all three masters
		channels = append(channels, fmt.Sprintf("cl-%d", i))
	}
	presence := []string{"presence-a", "presence-b", "presence-c", "presence-d"}
	var users []string
	for i, n := range nodes {
		for k := range 4 {
			user := fmt.Sprintf("u%d-%d", i, k)
			users = append(users, user)
			c, err := Dial(n.URL(), l.Session(user), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			for _, ch := range append(slices.Clone(channels), presence...) {
				if err := c.Subscribe(ch, user, 10*time.Second); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	slices.Sort(users)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: RoundRobin(nodes...)}
	all := append(slices.Clone(channels), presence...)
	wait := pub.Run(ctx, all, 50*time.Millisecond)
	Eventually(2*time.Second, func() bool { return false }) // traffic before the fault

	victim := cl.Nodes[1] // a master that is not the seed
	if !cl.Masters()[victim.Port] {
		t.Fatalf("node %d is not a master: %v", victim.Port, cl.Masters())
	}
	killed := time.Now()
	victim.Kill()
	promoted, ok := Eventually(60*time.Second, func() bool {
		m := cl.Masters()
		return len(m) == 3 && !m[victim.Port] && cl.StateOK()
	})
	if !ok {
		t.Fatalf("no replica promoted within 60s: masters %v", cl.Masters())
	}
	// Every channel accepts publishes again.
	var slowest time.Duration
	var slowestCh string
	for _, ch := range all {
		if _, ok := Eventually(60*time.Second, func() bool { _, ok := l.FirstAcceptedAfter(ch, killed); return ok }); !ok {
			t.Fatalf("%s: no publish accepted within 60s of the kill", ch)
		}
		at, _ := l.FirstAcceptedAfter(ch, killed)
		if d := at.Sub(killed); d > slowest {
			slowest, slowestCh = d, ch
		}
	}
	// Keep publishing a while after recovery: every restored subscription
	// must carry these.
	Eventually(3*time.Second, func() bool { return false })
	cancel()
	wait()
	settle(l, 5*time.Second)

	// Delivery resumed: the first event after the kill that reached every
	// subscriber of the channel.
	var lastDelivered time.Duration
	var lastDeliveredCh string
	lossWindows := map[string]time.Duration{}
	for _, ch := range all {
		acceptedAt, _ := l.FirstAcceptedAfter(ch, killed)
		deliveredAt, ok := l.FirstDeliveredAfter(ch, killed)
		if !ok {
			t.Errorf("%s: no event after the kill reached every subscriber", ch)
			continue
		}
		if d := deliveredAt.Sub(killed); d > lastDelivered {
			lastDelivered, lastDeliveredCh = d, ch
		}
		if w := deliveredAt.Sub(acceptedAt); w > 0 {
			lossWindows[ch] = w.Round(time.Millisecond)
		}
	}
	t.Logf("delivery to every subscriber resumed on every channel within %v of the kill (last: %s); channels where publishes were accepted before delivery resumed: %v",
		lastDelivered.Round(time.Millisecond), lastDeliveredCh, lossWindows)
	acc, ref, byStatus := l.Counts()
	t.Logf("cluster-node-timeout %v: replica promoted %v after SIGKILL of master %d; last channel to accept publishes again: %s after %v",
		nodeTimeout, promoted.Round(time.Millisecond), victim.Port, slowestCh, slowest.Round(time.Millisecond))
	t.Logf("publishes: %d accepted, %d refused %v", acc, ref, byStatus)
	for status := range byStatus {
		if status != 503 {
			t.Errorf("%d publishes answered %d during the failover, want 503", byStatus[status], status)
		}
	}
	r := l.Check(ledger.Options{})
	t.Log(r)
	if !r.OK() {
		t.Error(r)
	}
	for _, ch := range presence {
		var got []string
		if _, ok := Eventually(10*time.Second, func() bool {
			got, _ = nodes[0].Users(ch)
			slices.Sort(got)
			return slices.Equal(got, users)
		}); !ok {
			t.Errorf("%s members after the failover: %v, want %v", ch, got, users)
		}
	}
}
