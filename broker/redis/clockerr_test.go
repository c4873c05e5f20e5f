package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/redis/rueidis"
)

// The keys the heartbeat keeps the nodes' clock errors in, with the
// default prefix: the nodes set, the sorted set of clock errors, and the
// hash an earlier version kept them in (heartbeat.go, keys.go).
const (
	nodesKey        = "fanout:nodes"
	clockErrsKey    = "{fanout:nodes}:clockerrs"
	oldClockErrsKey = "{fanout:nodes}:clockerr"
)

// rawClient is a client of the test's Redis (standalone or cluster, as
// rueidis finds it) for seeding keys and reading them back.
func rawClient(t *testing.T, url string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{strings.TrimPrefix(url, "redis://")}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// redisMillis is Redis's clock (unix ms), the clock of node expiries.
func redisMillis(t *testing.T, c rueidis.Client) int64 {
	t.Helper()
	r, err := c.Do(context.Background(), c.B().Time().Build()).AsIntSlice()
	if err != nil || len(r) != 2 {
		t.Fatalf("TIME: %v %v", r, err)
	}
	return r[0]*1000 + r[1]/1000
}

// seedNode enters a node that is not running, as a heartbeat would have
// left it: its expiry (Redis's clock, ms; 0: not in the nodes set) and
// its clock error (ms) in the sorted set. old also writes the error as
// an earlier version's heartbeat did, in the hash.
func seedNode(t *testing.T, c rueidis.Client, node string, expiry, clockErr int64, old bool) {
	t.Helper()
	ctx := context.Background()
	cmds := rueidis.Commands{c.B().Zadd().Key(clockErrsKey).ScoreMember().ScoreMember(float64(clockErr), node).Build()}
	if expiry != 0 {
		cmds = append(cmds, c.B().Zadd().Key(nodesKey).ScoreMember().ScoreMember(float64(expiry), node).Build())
	}
	if old {
		cmds = append(cmds, c.B().Hset().Key(oldClockErrsKey).FieldValue().FieldValue(node, strconv.FormatInt(clockErr, 10)).Build())
	}
	for _, r := range c.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			t.Fatal(err)
		}
	}
}

// hasClockErr reports whether node has an entry in the clock errors.
func hasClockErr(t *testing.T, c rueidis.Client, node string) bool {
	t.Helper()
	err := c.Do(context.Background(), c.B().Zscore().Key(clockErrsKey).Member(node).Build()).Error()
	if err != nil && !rueidis.IsRedisNil(err) {
		t.Fatal(err)
	}
	return err == nil
}

// TestHeartbeatSharesLargestClockError: every node reports its clock
// error with its heartbeat and learns the largest of the live nodes'
// (late.go's margin covers the node a caller publishes through next).
// A node counts while its expiry in the nodes set has not passed in
// Redis's clock, whether or not it was reaped yet; the entries of nodes
// that no longer count go: those above the largest live error at the
// next beat, the others in the step that reaps their node or, if nobody
// removed them (a node of an earlier version reaped it), when a beat's
// probe finds them. The hash an earlier version kept the errors in is
// neither read nor written (a rolling upgrade runs both versions).
// Standalone and in a cluster, where the script's keys share one slot.
func TestHeartbeatSharesLargestClockError(t *testing.T) {
	t.Run("standalone", func(t *testing.T) { sharesLargestClockError(t, startRedis(t).URL(), false) })
	t.Run("cluster", func(t *testing.T) { sharesLargestClockError(t, startCluster(t)[0].URL(), true) })
}

func sharesLargestClockError(t *testing.T, url string, cluster bool) {
	o := redis.Options{URL: url, Cluster: cluster, NodeTTL: 30 * time.Second}
	a := startBroker(t, o, &countHandler{})
	c := rawClient(t, url)
	ctx := context.Background()
	// The reapers cannot remove the nodes whose expiry passes here, so
	// they are in the nodes set at every beat: their listener index is
	// of the wrong type (a reap that keeps failing; the next round tries
	// again). The live node is seeded last, so a beat that counts it saw
	// the dead ones too.
	unreapable := func(node string) {
		if err := c.Do(ctx, c.B().Set().Key("fanout:nl:"+node).Value("x").Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	inNodes := func(node string) bool {
		err := c.Do(ctx, c.B().Zscore().Key(nodesKey).Member(node).Build()).Error()
		if err != nil && !rueidis.IsRedisNil(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	unreapable("expired-node")
	unreapable("slow-node")
	now := redisMillis(t, c)
	seedNode(t, c, "expired-node", now-1, 900, false) // expiry passed
	seedNode(t, c, "gone-node", 0, 700, false)        // reaped, its error left behind
	seedNode(t, c, "leaked-node", 0, 0, false)        // the same, below every live error
	// A node of the earlier version, alive, its error only in the hash
	// that version keeps: a rolling upgrade, where each version reads
	// and writes only its own key.
	for _, cmd := range []rueidis.Completed{
		c.B().Zadd().Key(nodesKey).ScoreMember().ScoreMember(float64(now+60_000), "old-node").Build(),
		c.B().Hset().Key(oldClockErrsKey).FieldValue().FieldValue("old-node", "900").Build(),
	} {
		if err := c.Do(ctx, cmd).Error(); err != nil {
			t.Fatal(err)
		}
	}
	seedNode(t, c, "slow-node", now+60_000, 400, false) // alive a minute, its last round trip 800 ms
	eventually(t, 3*time.Second, "the slow node's 400 ms seen, no dead node's", func() bool { return a.PeerClockErr() == 400 })
	if !inNodes("expired-node") {
		t.Fatal("the expired node was reaped: the test no longer shows the heartbeat's own liveness check")
	}
	for _, n := range []string{"expired-node", "gone-node"} {
		if hasClockErr(t, c, n) {
			t.Errorf("%s's clock error, above the largest live one, is still there", n)
		}
	}
	if h, err := c.Do(ctx, c.B().Hgetall().Key(oldClockErrsKey).Build()).AsStrMap(); err != nil || len(h) != 1 || h["old-node"] != "900" {
		t.Errorf("the earlier version's hash was touched: %v %v", h, err)
	}
	eventually(t, 10*time.Second, "the leaked entry found by the probe", func() bool { return !hasClockErr(t, c, "leaked-node") })

	// The slow node's expiry passes: it stops counting at the next beat,
	// though it is still in the nodes set.
	seedNode(t, c, "slow-node", redisMillis(t, c)-1, 400, false)
	eventually(t, 3*time.Second, "the expired node no longer counted", func() bool { return a.PeerClockErr() < 400 })
	if !inNodes("slow-node") || hasClockErr(t, c, "slow-node") {
		t.Errorf("after its expiry the slow node is in the nodes set: %v (want true), its clock error is: %v (want false)",
			inNodes("slow-node"), hasClockErr(t, c, "slow-node"))
	}

	// A node reaped as crashed (no connection, silent for four beats)
	// long before its expiry: its entry goes in the step that removes it
	// from the nodes set, not later (read in that order).
	b := startBroker(t, o, &countHandler{})
	id := b.NodeID()
	eventually(t, 3*time.Second, "the second node's clock error entered", func() bool { return hasClockErr(t, c, id) })
	b.Crash()
	eventually(t, 10*time.Second, "the crashed node reaped", func() bool {
		if inNodes(id) {
			return false
		}
		if hasClockErr(t, c, id) {
			t.Fatal("the reaped node's clock error is still there")
		}
		return true
	})
}

// TestHeartbeatClockErrorCostFlatInNodes: finding the largest live clock
// error costs a heartbeat the same with 400 other nodes as with 10, not
// a liveness lookup (ZSCORE) per node. The other nodes are seeded alive
// for a minute, their errors as either version of the heartbeat keeps
// them. Redis's command counts (INFO commandstats) give the ZSCORE
// calls per heartbeat script call (EVALSHA) in each phase of one run.
func TestHeartbeatClockErrorCostFlatInNodes(t *testing.T) {
	srv := startRedis(t)
	c := rawClient(t, srv.URL())
	a := startBroker(t, redis.Options{URL: srv.URL(), NodeTTL: 1500 * time.Millisecond}, &countHandler{})
	eventually(t, 3*time.Second, "the first heartbeat", func() bool { return a.PeerClockErr() > 0 })
	const beats = 4
	phase := func(nodes int) (zscorePerBeat, usecPerBeat float64) {
		now := redisMillis(t, c)
		for i := range nodes {
			seedNode(t, c, fmt.Sprintf("node-%d", i), now+60_000, int64(i%3), true)
		}
		if err := c.Do(context.Background(), c.B().ConfigResetstat().Build()).Error(); err != nil {
			t.Fatal(err)
		}
		var s map[string]cmdStat
		eventually(t, 10*time.Second, fmt.Sprintf("%d heartbeats", beats), func() bool {
			s = commandStats(t, c)
			return s["evalsha"].calls >= beats
		})
		return float64(s["zscore"].calls) / float64(s["evalsha"].calls), s["evalsha"].usec / float64(s["evalsha"].calls)
	}
	few, fewUsec := phase(10)
	many, manyUsec := phase(400)
	t.Logf("per heartbeat: %.1f ZSCORE with 10 other nodes, %.1f with 400; script time %.0f µs and %.0f µs (ratio %.1f)",
		few, many, fewUsec, manyUsec, manyUsec/fewUsec)
	if many > 1.5*few+1 {
		t.Fatalf("%.1f ZSCORE per heartbeat with 400 other nodes, %.1f with 10: the cost grows with the nodes", many, few)
	}
}

// cmdStat is one command's line of INFO commandstats.
type cmdStat struct {
	calls int
	usec  float64
}

// commandStats reads INFO commandstats (commands a Lua script runs
// count too; the script's own line counts its whole run).
func commandStats(t *testing.T, c rueidis.Client) map[string]cmdStat {
	t.Helper()
	info, err := c.Do(context.Background(), c.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cmdStat{}
	for line := range strings.SplitSeq(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		var s cmdStat
		for f := range strings.SplitSeq(v, ",") {
			fk, fv, _ := strings.Cut(f, "=")
			switch fk {
			case "calls":
				s.calls, _ = strconv.Atoi(fv)
			case "usec":
				s.usec, _ = strconv.ParseFloat(fv, 64)
			}
		}
		out[name] = s
	}
	return out
}
