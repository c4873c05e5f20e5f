package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/redis/rueidis"
)

// TestRefusalsDoNotStallOtherPublishes: a node that listened to many
// channels crashes, and another node publishes once to each of them at
// once: every publication is refused (the crashed node is still
// listed), with the reason that names the channel and the node.
// Meanwhile a publisher on a channel only a healthy node listens to goes
// on. Finding which node holds a refused channel up takes Redis round
// trips, which must not hold up that publisher: Redis's own command
// counts (INFO commandstats), read just before and just after each of
// its publishes, show how many lookups (one ZMSCORE of the nodes'
// expiries each) ran while it waited. Before the fix it queued behind
// the refused publications and waited for their explanations, three
// round trips each, one after the other: 271 to 300 lookups of the 300,
// 7 to 750 times as long as its median with every node up in the same
// run; now at most 3. The refusals of one crash cost a few lookups in
// all, not one per channel, and fill the cache that routes a retry to
// the script, which refuses it before it publishes.
func TestRefusalsDoNotStallOtherPublishes(t *testing.T) {
	t.Run("plain", func(t *testing.T) { refusalsDoNotStall(t, false) })
	t.Run("strict", func(t *testing.T) { refusalsDoNotStall(t, true) })
}

func refusalsDoNotStall(t *testing.T, strict bool) {
	const n = 300 // channels the crashed node held
	srv := startRedis(t)
	mon := monitorClient(t, srv)
	o := redis.Options{URL: srv.URL(), StrictRefusals: strict}
	h := &seenHandler{}
	healthy := startBroker(t, o, h)
	dead := startBroker(t, o, &countHandler{})
	pub := startBroker(t, o, &countHandler{})
	healthy.Subscribe("app", "free")
	held := make([]string, n)
	for i := range held {
		held[i] = fmt.Sprint("held-", i)
		dead.Subscribe("app", held[i])
	}
	eventually(t, 10*time.Second, "listed", func() bool {
		return listenedBy(t, srv, "free") == ":1" && allListed(t, mon, held)
	})
	// The control: the same publishes while every node is up, all
	// accepted, with the same load on this machine and on Redis.
	control, errs := publishAround(t, pub, mon, held)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publish to %s before the crash: %v", held[i], err)
		}
	}
	dead.Crash()
	if err := mon.Do(context.Background(), mon.B().ConfigResetstat().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	during, errs := publishAround(t, pub, mon, held)
	calls := commandCalls(t, mon)

	for i, err := range errs {
		var ue *broker.UnavailableError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "channel "+held[i]+" ") ||
			!strings.Contains(ue.Reason, dead.NodeID()) || ue.RetryAfter <= 0 {
			t.Fatalf("publish to %s after the crash: %v, want a refusal that names the channel and node %s, with a retry time", held[i], err, dead.NodeID())
		}
	}
	waited := slices.MaxFunc(during, func(a, b freePublish) int { return a.lookups - b.lookups })
	t.Logf("free channel's publish while %d publications go out: median %v (max %v, %d publishes) with every node up; median %v (max %v, %d publishes) while they are refused, the longest waiting for %d lookups; in all ZMSCORE %d, SMEMBERS %d, PUBSUB NUMSUB %d",
		n, medianTook(control), maxTook(control), len(control), medianTook(during), maxTook(during), len(during),
		waited.lookups, calls["zmscore"], calls["smembers"], calls["pubsub|numsub"])
	if waited.lookups > n/20 {
		t.Errorf("an unrelated publish waited while Redis ran %d lookups of refused channels' holdups (%v; %v with every node up): it waited for their explanations",
			waited.lookups, waited.took, medianTook(control))
	}
	if z := calls["zmscore"]; z > n/10 {
		t.Errorf("%d ZMSCORE to explain %d refusals, want the lookups shared", z, n)
	}

	// The explanations filled the cache before the callers were
	// answered: a retry runs as the script, refused before it publishes.
	published := commandCalls(t, mon)["publish"]
	err := publishData(pub, held[0], "retry")
	if err == nil {
		if listenedBy(t, srv, held[0]) != ":0" {
			t.Fatalf("retry to %s accepted while the crashed node is listed", held[0])
		}
		t.Logf("the crashed node was reaped before the retry")
	} else if p := commandCalls(t, mon)["publish"]; p != published {
		t.Errorf("retry to %s: %v after %d PUBLISH, want it refused before it is published", held[0], err, p-published)
	}
	eventually(t, 5*time.Second, "the free channel's publishes delivered", func() bool {
		return len(h.seen()) == len(control)+len(during)
	})
}

// freePublish is one publish to the free channel: how long it took and
// how many holdup lookups (ZMSCORE) Redis ran meanwhile.
type freePublish struct {
	took    time.Duration
	lookups int
}

// publishAround publishes once to each of channels through b, all at
// once, and meanwhile, one after the other, to the free channel, each
// between two readings of mon's command counts; it returns those
// publishes and the errors of the others.
func publishAround(t *testing.T, b *redis.Broker, mon rueidis.Client, channels []string) ([]freePublish, []error) {
	t.Helper()
	errs := make([]error, len(channels))
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(len(channels)))
	start := make(chan struct{})
	for i := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = publishData(b, channels[i], "x")
			left.Add(-1)
		}()
	}
	close(start)
	var free []freePublish
	for i := 0; i == 0 || left.Load() > 0; i++ {
		if i == 1000 {
			t.Fatal("the publications were not answered within 1,000 publishes to the free channel")
		}
		before := commandCalls(t, mon)["zmscore"]
		start := time.Now()
		if err := publishData(b, "free", fmt.Sprint(i)); err != nil {
			t.Fatalf("publish %d to the free channel: %v", i, err)
		}
		took := time.Since(start)
		free = append(free, freePublish{took: took, lookups: commandCalls(t, mon)["zmscore"] - before})
	}
	wg.Wait()
	return free, errs
}

func medianTook(ps []freePublish) time.Duration {
	s := make([]time.Duration, len(ps))
	for i, p := range ps {
		s[i] = p.took
	}
	slices.Sort(s)
	return s[len(s)/2]
}

func maxTook(ps []freePublish) time.Duration {
	var m time.Duration
	for _, p := range ps {
		m = max(m, p.took)
	}
	return m
}

// monitorClient is a plain client of srv for INFO and CONFIG.
func monitorClient(t *testing.T, srv *redisServer) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// allListed reports whether one node listens to each of channels.
func allListed(t *testing.T, c rueidis.Client, channels []string) bool {
	t.Helper()
	cmds := make(rueidis.Commands, len(channels))
	for i, ch := range channels {
		cmds[i] = c.B().Scard().Key("{fanout:c:app:" + ch + "}:l").Build()
	}
	for _, r := range c.DoMulti(context.Background(), cmds...) {
		if n, err := r.AsInt64(); err != nil || n != 1 {
			return false
		}
	}
	return true
}
