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
// round trips each, one after the other: 271 to 300 lookups of the 300
// (60-140 ms; 4 to 900 times its median latency with every node up, in
// the same run), standalone or cluster, plain or strict; now 1 to 4,
// the ones that ran alongside. The refusals of one crash cost a few
// lookups in all (3 to 6, against 300 before), not one per channel,
// and fill the cache that routes a retry to the script, which refuses
// it before it publishes.
func TestRefusalsDoNotStallOtherPublishes(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		srv := startRedis(t)
		refusalsDoNotStall(t, redis.Options{URL: srv.URL()}, []*redisServer{srv})
	})
	t.Run("strict", func(t *testing.T) {
		srv := startRedis(t)
		refusalsDoNotStall(t, redis.Options{URL: srv.URL(), StrictRefusals: true}, []*redisServer{srv})
	})
	t.Run("cluster", func(t *testing.T) {
		srvs := startCluster(t)
		refusalsDoNotStall(t, redis.Options{URL: srvs[0].URL(), Cluster: true}, srvs)
	})
}

func refusalsDoNotStall(t *testing.T, o redis.Options, srvs []*redisServer) {
	const n = 300 // channels the crashed node held
	counts := make(redisCounts, len(srvs))
	for i, srv := range srvs {
		counts[i] = clientOf(t, srv)
	}
	all, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srvs[0].Addr()}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(all.Close)
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
		return listedIn(t, srvs, "free") == ":1" && allListed(t, all, held)
	})
	// The control: the same publishes while every node is up, all
	// accepted, with the same load on this machine and on Redis.
	control, errs := publishAround(t, pub, counts, held)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publish to %s before the crash: %v", held[i], err)
		}
	}
	dead.Crash()
	counts.reset(t)
	during, errs := publishAround(t, pub, counts, held)
	calls := counts.calls(t)

	for i, err := range errs {
		var ue *broker.UnavailableError
		if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "channel "+held[i]+" ") ||
			!strings.Contains(ue.Reason, dead.NodeID()) || ue.RetryAfter <= 0 {
			t.Fatalf("publish to %s after the crash: %v, want a refusal that names the channel and node %s, with a retry time", held[i], err, dead.NodeID())
		}
	}
	waited := slices.MaxFunc(during, func(a, b freePublish) int { return a.lookups - b.lookups })
	t.Logf("free channel's publish while %d publications go out: median %v (max %v, %d publishes) with every node up; median %v (max %v, %d publishes) while they are refused, the longest waiting for %d lookups; in all ZMSCORE %d, SMEMBERS %d",
		n, medianTook(control), maxTook(control), len(control), medianTook(during), maxTook(during), len(during),
		waited.lookups, calls["zmscore"], calls["smembers"])
	if waited.lookups > n/20 {
		t.Errorf("an unrelated publish waited while Redis ran %d lookups of refused channels' holdups (%v; %v with every node up): it waited for their explanations",
			waited.lookups, waited.took, medianTook(control))
	}
	if z := calls["zmscore"]; z > n/10 {
		t.Errorf("%d ZMSCORE to explain %d refusals, want the lookups shared", z, n)
	}

	// The explanations filled the cache before the callers were
	// answered: a retry runs as the script, refused before it publishes.
	published := counts.published(t)
	err = publishData(pub, held[0], "retry")
	if err == nil {
		if listedIn(t, srvs, held[0]) != ":0" {
			t.Fatalf("retry to %s accepted while the crashed node is listed", held[0])
		}
		t.Logf("the crashed node was reaped before the retry")
	} else if p := counts.published(t); p != published {
		t.Errorf("retry to %s: %v after %d PUBLISH, want it refused before it is published", held[0], err, p-published)
	}
	eventually(t, 5*time.Second, "the free channel's publishes delivered", func() bool {
		return len(h.seen()) == len(control)+len(during)
	})
}

// redisCounts reads the command counts of a deployment's servers, one
// client each.
type redisCounts []rueidis.Client

// calls sums the calls of each command over the servers.
func (rc redisCounts) calls(t *testing.T) map[string]int {
	t.Helper()
	sum := map[string]int{}
	for _, c := range rc {
		for name, n := range commandCalls(t, c) {
			sum[name] += n
		}
	}
	return sum
}

// published is the PUBLISH and SPUBLISH the servers ran.
func (rc redisCounts) published(t *testing.T) int {
	t.Helper()
	calls := rc.calls(t)
	return calls["publish"] + calls["spublish"]
}

// reset zeroes the counts.
func (rc redisCounts) reset(t *testing.T) {
	t.Helper()
	for _, c := range rc {
		if err := c.Do(context.Background(), c.B().ConfigResetstat().Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
}

// freePublish is one publish to the free channel: how long it took and
// how many holdup lookups (ZMSCORE) Redis ran meanwhile.
type freePublish struct {
	took    time.Duration
	lookups int
}

// publishAround publishes once to each of channels through b, all at
// once, and meanwhile, one after the other, to the free channel, each
// between two readings of Redis's command counts; it returns those
// publishes and the errors of the others.
func publishAround(t *testing.T, b *redis.Broker, counts redisCounts, channels []string) ([]freePublish, []error) {
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
		before := counts.calls(t)["zmscore"]
		start := time.Now()
		if err := publishData(b, "free", fmt.Sprint(i)); err != nil {
			t.Fatalf("publish %d to the free channel: %v", i, err)
		}
		took := time.Since(start)
		free = append(free, freePublish{took: took, lookups: counts.calls(t)["zmscore"] - before})
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
