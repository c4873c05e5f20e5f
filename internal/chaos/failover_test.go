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
	victim := cl.Nodes[1] // a master that is not the seed
	if !cl.Masters()[victim.Port] {
		t.Fatalf("node %d is not a master: %v", victim.Port, cl.Masters())
	}
	var channels []string
	for i := range 30 { // spread over the slots of all three masters
		channels = append(channels, fmt.Sprintf("cl-%d", i))
	}
	r := runFailover(t, failover{
		nodes: []*Node{
			Serve(t, ServeOptions{RedisURL: seed, RedisCluster: true, NodeTTL: 5 * time.Second}),
			Serve(t, ServeOptions{RedisURL: seed, RedisCluster: true, NodeTTL: 5 * time.Second}),
		},
		channels: channels,
		presence: []string{"presence-a", "presence-b", "presence-c", "presence-d"},
		clients:  4,
		before:   2 * time.Second,
		after:    3 * time.Second,
		kill:     victim.Kill,
		promoted: func() bool {
			m := cl.Masters()
			return len(m) == 3 && !m[victim.Port] && cl.StateOK()
		},
	})
	t.Logf("cluster-node-timeout %v: replica promoted %v after SIGKILL of master %d; %v",
		nodeTimeout, r.promoted, victim.Port, r)
}

// failover is a Redis master failover scenario: nodes serving over the
// Redis under test, clients subscribed to every channel on every node,
// publishers on every channel through the nodes in turn, and a fault
// that kills a master.
type failover struct {
	nodes    []*Node
	channels []string // public channels
	presence []string // presence channels; every client joins each
	clients  int      // per node
	before   time.Duration
	after    time.Duration // traffic once every channel accepts again
	interval time.Duration // between publishes of one channel; default 50ms
	kill     func()        // the fault: SIGKILL a master
	promoted func() bool   // holds once a replica took the killed master's place
	// graceful: kill hands the master's place over (SENTINEL FAILOVER)
	// instead of killing it, so nothing may die with it.
	graceful bool
	// followed, when set, holds once every node is subscribed to ch on
	// the new master; checked for every channel after the run.
	followed func(ch string) bool
}

// failoverResult is what runFailover measured, each time from the kill.
type failoverResult struct {
	promoted     time.Duration // failover.promoted held
	accepting    time.Duration // the last channel's first accepted publish
	acceptingCh  string
	delivering   time.Duration // the last channel's first publish that reached every subscriber
	deliveringCh string
	// lossWindows are the channels where publishes were accepted before
	// delivery resumed, and for how long (events the ledger then checks).
	lossWindows       map[string]time.Duration
	accepted, refused int
	byStatus          map[int]int
	ledger            ledger.Report
}

func (r failoverResult) String() string {
	return fmt.Sprintf("every channel accepting publishes again after %v (last: %s), delivering to every subscriber after %v (last: %s); "+
		"channels where publishes were accepted before delivery resumed: %v; publishes %d accepted, %d refused %v; %d deliveries, %d lost with the killed master",
		r.accepting, r.acceptingCh, r.delivering, r.deliveringCh, r.lossWindows,
		r.accepted, r.refused, r.byStatus, r.ledger.Received, r.ledger.DiedInRedis)
}

// runFailover runs f and fails t unless a replica is promoted within 60s,
// every channel accepts and delivers again within 60s of the kill, every
// refusal is a 503, the ledger finds nothing accepted missing or out of
// order (but for publishes the master was running as it died; see
// ledger.Options.Killed), and every presence channel lists every member
// again.
func runFailover(t *testing.T, f failover) failoverResult {
	t.Helper()
	const bound = 60 * time.Second
	l := ledger.New()
	var users []string
	for i, n := range f.nodes {
		for k := range f.clients {
			user := fmt.Sprintf("u%d-%d", i, k)
			users = append(users, user)
			c, err := Dial(n.URL(), l.Session(user), DialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			for _, ch := range append(slices.Clone(f.channels), f.presence...) {
				if err := c.Subscribe(ch, user, 10*time.Second); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	slices.Sort(users)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: RoundRobin(f.nodes...)}
	all := append(slices.Clone(f.channels), f.presence...)
	wait := pub.Run(ctx, all, durationOr(f.interval, 50*time.Millisecond))
	Eventually(f.before, func() bool { return false }) // traffic before the fault

	var r failoverResult
	killed := time.Now()
	f.kill()
	t.Logf("fault at %s", killed.Format("15:04:05.000"))
	promoted, ok := Eventually(bound, f.promoted)
	if !ok {
		t.Fatalf("no replica promoted within %v of the SIGKILL", bound)
	}
	r.promoted = promoted.Round(time.Millisecond)
	// Every channel accepts publishes again.
	for _, ch := range all {
		if _, ok := Eventually(bound, func() bool { _, ok := l.FirstAcceptedAfter(ch, killed); return ok }); !ok {
			t.Fatalf("%s: no publish accepted within %v of the kill", ch, bound)
		}
		at, _ := l.FirstAcceptedAfter(ch, killed)
		if d := at.Sub(killed); d > r.accepting {
			r.accepting, r.acceptingCh = d, ch
		}
	}
	// Keep publishing a while after recovery: every restored subscription
	// must carry these.
	Eventually(f.after, func() bool { return false })
	cancel()
	wait()
	settle(l, 5*time.Second)

	// Delivery resumed: the first event after the kill that reached every
	// subscriber of the channel.
	r.lossWindows = map[string]time.Duration{}
	for _, ch := range all {
		acceptedAt, _ := l.FirstAcceptedAfter(ch, killed)
		deliveredAt, ok := l.FirstDeliveredAfter(ch, killed)
		if !ok {
			t.Errorf("%s: no event after the kill reached every subscriber", ch)
			continue
		}
		if d := deliveredAt.Sub(killed); d > r.delivering {
			r.delivering, r.deliveringCh = d, ch
		}
		if w := deliveredAt.Sub(acceptedAt); w > 0 {
			r.lossWindows[ch] = w.Round(time.Millisecond)
		}
	}
	r.accepting, r.delivering = r.accepting.Round(time.Millisecond), r.delivering.Round(time.Millisecond)
	r.accepted, r.refused, r.byStatus = l.Counts()
	for status := range r.byStatus {
		if status != 503 {
			t.Errorf("%d publishes answered %d during the failover, want 503", r.byStatus[status], status)
		}
	}
	// Redis answers a publish before it writes the message to the
	// subscribers: what the master ran in its last instant may be lost
	// with it, and is counted apart (DiedInRedis). Anything sent after
	// the kill, or answered well before it, must arrive.
	o := ledger.Options{Killed: killed, KillSlack: 250 * time.Millisecond}
	if f.graceful {
		o = ledger.Options{}
	}
	r.ledger = l.Check(o)
	t.Log(r.ledger)
	if !r.ledger.OK() {
		t.Error(r.ledger)
	}
	for _, ch := range all {
		if f.followed != nil {
			if _, ok := Eventually(10*time.Second, func() bool { return f.followed(ch) }); !ok {
				t.Errorf("%s: not every node is subscribed on the new master", ch)
			}
		}
	}
	for _, ch := range f.presence {
		var got []string
		if _, ok := Eventually(10*time.Second, func() bool {
			got, _ = f.nodes[0].Users(ch)
			slices.Sort(got)
			return slices.Equal(got, users)
		}); !ok {
			t.Errorf("%s members after the failover: %v, want %v", ch, got, users)
		}
	}
	return r
}
