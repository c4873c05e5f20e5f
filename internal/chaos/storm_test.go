package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Reconnect storm: of two nodes on one Redis, the one holding the storm's
// clients is SIGKILLed; every client reconnects to the other node with
// pusher-js's timing (a lost connection is retried after 1 s, see
// ConnectionManager's "closed" callback, retryIn(1000)), jittered to
// [0.5 s, 1.5 s], and failed attempts back off (doubling, capped at
// 30 s, jittered). Measured: the time until all are back and subscribed,
// the failed attempts on the way, and the p99 delivery latency of the
// surviving node's own clients before and during the storm.
func TestReconnectStorm(t *testing.T) {
	NeedLong(t)
	storm := envInt("FANOUT_STORM_CLIENTS", 15000)
	const steadyClients = 500
	const stormChannels, steadyChannels = 100, 10
	rd := StartRedis(t)
	victim := Serve(t, ServeOptions{RedisURL: rd.URL()})
	survivor := Serve(t, ServeOptions{RedisURL: rd.URL()})
	l := ledger.New()

	var lat latencies
	var steady []*Client
	for i := range steadyClients {
		c, err := Dial(survivor.URL(), l.Session(fmt.Sprintf("steady-%d", i)), DialOptions{Latency: lat.add})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		if err := c.Subscribe(fmt.Sprintf("steady-%d", i%steadyChannels), "", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		steady = append(steady, c)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var s stormStats
	s.target.Store(victim)
	initial := make(chan struct{}, 64) // bounds the first connects, not the storm
	var wg sync.WaitGroup
	began := time.Now()
	for i := range storm {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.client(ctx, l, i, fmt.Sprintf("s-%d", i%stormChannels), fmt.Sprintf("127.0.0.%d", 2+i%8), initial)
		}()
	}
	if _, ok := Eventually(5*time.Minute, func() bool { return s.up.Load() == int64(storm) }); !ok {
		t.Fatalf("only %d of %d storm clients connected and subscribed", s.up.Load(), storm)
	}
	t.Logf("%d storm clients connected and subscribed to the victim in %v", storm, time.Since(began).Round(time.Millisecond))

	var names []string
	for i := range steadyChannels {
		names = append(names, fmt.Sprintf("steady-%d", i))
	}
	var stormNames []string
	for i := range stormChannels {
		stormNames = append(stormNames, fmt.Sprintf("s-%d", i))
	}
	pub := &Publisher{L: l, Node: func() *Node { return survivor }}
	// Publishing starts after every client is in; the baseline latency
	// is measured from here to the kill.
	waitSteady := pub.Run(ctx, names, 20*time.Millisecond)
	waitStorm := pub.Run(ctx, stormNames, time.Second)
	Eventually(5*time.Second, func() bool { return false }) // the baseline latency
	s.target.Store(survivor)                                // the load balancer now sends everyone there
	killed := time.Now()
	s.killed.Store(killed.UnixNano()) // before the signal: a client may be back before Kill returns
	victim.Kill()
	back, ok := Eventually(5*time.Minute, func() bool { return s.back.Load() == int64(storm) })
	if !ok {
		t.Errorf("after 5 min only %d of %d clients are back and subscribed", s.back.Load(), storm)
	}
	stormEnd := time.Now()
	Eventually(3*time.Second, func() bool { return false }) // traffic after the storm, for the ledger
	cancel()
	waitSteady()
	waitStorm()
	settle(l, 5*time.Second)

	before := lat.p99(killed.Add(-5*time.Second), killed)
	during := lat.p99(killed, stormEnd)
	t.Logf("storm: %d clients back and subscribed on the survivor %v after SIGKILL (first %v); %d failed attempts, retried; survivor's %d other clients: p99 delivery latency %v before, %v during the storm (%d, %d samples)",
		storm, back.Round(time.Millisecond), time.Duration(s.firstBack.Load()).Round(time.Millisecond), s.failed.Load(),
		steadyClients, before.p.Round(time.Microsecond), during.p.Round(time.Microsecond), before.n, during.n)
	for _, c := range steady {
		select {
		case <-c.Done():
			t.Errorf("%s was disconnected during the storm (code %d)", c.Session.Name, c.CloseCode())
		default:
		}
	}
	// The killed node's clients lost their connection (1006): what
	// was in flight to them at the kill is excused, nothing before.
	r := l.Check(ledger.Options{Reasons: append(slices.Clone(ledger.Reasons), 1006)})
	t.Log(r)
	if !r.OK() {
		t.Error(r)
	}
	for _, c := range steady {
		c.Close()
	}
	wg.Wait()
}

// stormStats is shared by the storm's client goroutines.
type stormStats struct {
	target    atomic.Pointer[Node]
	up        atomic.Int64 // clients subscribed now
	back      atomic.Int64 // distinct clients subscribed again after the kill
	failed    atomic.Int64 // failed attempts (dial, subscribe), each retried
	killed    atomic.Int64 // unix nanos of the kill; 0 before
	firstBack atomic.Int64 // nanoseconds from the kill to the first return
}

// client keeps one storm client connected and subscribed until ctx ends.
func (s *stormStats) client(ctx context.Context, l *ledger.Ledger, i int, channel, local string, initial chan struct{}) {
	attempt, session, returned := 0, 0, false
	for ctx.Err() == nil {
		if attempt == 0 && session == 0 {
			initial <- struct{}{}
		}
		c, err := s.connect(l, i, session, channel, local)
		if attempt == 0 && session == 0 {
			<-initial
		}
		if err != nil {
			s.failed.Add(1)
			if !sleepCtx(ctx, jitter(min(time.Second<<min(attempt, 5), 30*time.Second))) {
				return
			}
			attempt++
			continue
		}
		session++
		attempt = 0
		s.up.Add(1)
		if k := s.killed.Load(); k != 0 && !returned {
			returned = true
			if s.back.Add(1) == 1 {
				s.firstBack.Store(time.Now().UnixNano() - k)
			}
		}
		select {
		case <-c.Done():
		case <-ctx.Done():
			c.Close()
			return
		}
		s.up.Add(-1)
		// pusher-js: the "closed" callback retries in 1000 ms.
		if !sleepCtx(ctx, jitter(time.Second)) {
			return
		}
	}
}

func (s *stormStats) connect(l *ledger.Ledger, i, session int, channel, local string) (*Client, error) {
	c, err := Dial(s.target.Load().URL(), l.Session(fmt.Sprintf("storm-%d.%d", i, session)), DialOptions{Local: local, Timeout: 15 * time.Second})
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(channel, "", 15*time.Second); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// jitter spreads d over [d/2, 3d/2].
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d+1) }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// latencies collects delivery latencies with their arrival times.
type latencies struct {
	mu sync.Mutex
	at []time.Time
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	l.d = append(l.d, d)
	l.mu.Unlock()
}

type quantile struct {
	p time.Duration
	n int
}

// p99 of the latencies that arrived in [from, to).
func (l *latencies) p99(from, to time.Time) quantile {
	l.mu.Lock()
	var ds []time.Duration
	for i, at := range l.at {
		if !at.Before(from) && at.Before(to) {
			ds = append(ds, l.d[i])
		}
	}
	l.mu.Unlock()
	if len(ds) == 0 {
		return quantile{}
	}
	slices.Sort(ds)
	return quantile{p: ds[len(ds)*99/100], n: len(ds)}
}
