package redis

import (
	"errors"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
	"time"
)

// tick is how often a node heartbeats and checks Redis.
func (b *Broker) tick() time.Duration { return min(b.opts.NodeTTL/3, 500*time.Millisecond) }

// heartbeat keeps this node alive in the directory, tracks whether Redis
// answers, brings Redis back to the local mirror after an outage, and
// reaps nodes that went silent. It also starts the directory writers.
func (b *Broker) heartbeat() {
	defer b.wg.Done()
	b.wg.Add(1 + presenceShards)
	go b.flusher()
	for i := range b.dir.shards {
		go b.runQueue(&b.dir.shards[i])
	}
	t := time.NewTicker(b.tick())
	defer t.Stop()
	// While Redis did not answer this node, it did not answer the others
	// either (a stalled or restarting Redis), so their expiries passed
	// and their connections may have closed through no fault of theirs:
	// after an outage, reap only once every node has had a whole NodeTTL
	// to beat again.
	var reapFrom time.Time
	for {
		if b.beat() {
			reapFrom = time.Now().Add(b.opts.NodeTTL)
		}
		// The reaper runs beside the heartbeat, one round at a time, so
		// a round that waits on a stalled Redis does not hold up the beat
		// that notices it (and turns Ready unavailable).
		if b.healthy.Load() && time.Now().After(reapFrom) && b.reaping.CompareAndSwap(false, true) {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer b.reaping.Store(false)
				b.reap()
			}()
		}
		if b.healthy.Load() && b.sweeping.CompareAndSwap(false, true) {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer b.sweeping.Store(false)
				b.sweepKept()
			}()
		}
		select {
		case <-t.C:
		case <-b.ctx.Done():
			return
		}
	}
}

// beat refreshes this node's expiry. A node that Redis did not know (first
// beat, Redis restarted empty, or reaped after a long outage) or that
// comes back from an outage rewrites its share of the directory. It
// reports whether Redis just came back after not answering.
func (b *Broker) beat() (recovered bool) {
	ctx, cancel := b.call(nil)
	defer cancel()
	before := time.Now()
	patterns := "0"
	if !b.opts.Cluster {
		patterns = "1" // SPUBLISH reaches no pattern subscriber
	}
	// A beat lists this node: none may run once retire removed it, or
	// the node would stay listed as live for NodeTTL after it left.
	// Holding listMu shared makes retire wait for a beat in flight.
	b.listMu.RLock()
	if b.retired {
		b.listMu.RUnlock()
		return false
	}
	r0, err := beatScript.Exec(ctx, b.client, []string{b.nodesKey(), b.clockErrsKey()},
		[]string{strconv.FormatInt(b.opts.NodeTTL.Milliseconds(), 10), b.opts.NodeID,
			strconv.FormatInt(b.clockErr.Load(), 10), patterns}).ToArray()
	b.listMu.RUnlock()
	r, runID, err := beatAnswer(r0, err)
	var added int64
	if err == nil {
		added = r[0]
		rtt := time.Since(before)
		skew, e := clockOffset(before, rtt, r[1], r[2])
		// The stamps' measurement first: plainAllowed reads clockErr.
		b.clock.Store(&clockMeasure{skew: skew, err: e, id: clockID(runID), mid: before.Add(rtt / 2)})
		b.clockSkew.Store(skew)
		b.clockErr.Store(e)
		b.peerClockErr.Store(r[3])
		b.patternSubs.Store(r[4] > 0)
	}
	b.reportHealth(err == nil, time.Since(before))
	was := b.healthy.Swap(err == nil)
	switch {
	case err != nil:
		if was {
			b.opts.Logger.Warn("redis unreachable; publishes answer 503 until it returns", "err", err)
		}
	case added == 1 || !was:
		if !was {
			b.opts.Logger.Info("redis reachable again; restoring this node's state")
		}
		if added == 1 {
			b.relist()
		}
		b.resync()
	}
	return err == nil && !was
}

// clockOffset is Redis's clock minus this node's (ms) as measured by a
// heartbeat sent at before (this node's clock) and answered rtt later
// with Redis's TIME sec and usec, and the bound of its error (ms): the
// reply stands for the middle of the round trip, give or take half of
// it (late.go adds what the millisecond rounding costs).
func clockOffset(before time.Time, rtt time.Duration, sec, usec int64) (skew, e int64) {
	mid := before.Add(rtt / 2)
	return sec*1000 + usec/1000 - mid.UnixMilli(), (rtt/2 + time.Millisecond - 1).Milliseconds()
}

// beatScript sets node ARGV[2]'s expiry in the nodes set KEYS[1] to
// ARGV[1] ms after Redis's clock now (so nodes' clocks need not agree:
// readers compare expiries with redisNow) and its clock error ARGV[3]
// (ms, as last measured) as its score in the sorted set KEYS[2]. It
// returns {added, Redis's TIME seconds, microseconds, the largest clock
// error of a live node, PUBSUB NUMPAT when ARGV[4] is "1" else 0, the
// server's run_id}: the clock is read on the server that holds the set,
// in the same round trip, for clockSkew (see redisDeadline), and the
// run_id names that clock (a failover or a restart changes it); the
// error, the pattern count and the run_id are for plain publishes
// (late.go, plainpub.go).
//
// A node is live while its expiry has not passed in Redis's clock, as
// for every reader of the nodes set, reaped or not. The largest live
// error is read from the top of KEYS[2] down: an entry whose node is not
// live (expired, reaped, retired) is removed and the next one read, so
// a dead node stops counting at the first beat after its expiry, and
// this node's own entry, just written, ends the walk. Each dead entry
// is removed once, so a beat costs O(log N) Redis work for N nodes (a
// beat after many nodes died at once walks those above the live
// largest, once) rather than a liveness lookup per node. Below the top,
// a dead node's entry goes in the step that reaps it (removeNode); one
// that nobody removed (a node of an earlier version, which knows nothing
// of KEYS[2], reaped it) is found by one probe per beat, of the entry at
// rank now mod the set's size, so the set does not keep growing.
var beatScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
local function live(node)
  local exp = redis.call('ZSCORE', KEYS[1], node)
  return exp and tonumber(exp) >= now
end
local maxe
repeat
  local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if not top[1] then
    maxe = 0
  elseif live(top[1]) then
    maxe = tonumber(top[2])
  else
    redis.call('ZREM', KEYS[2], top[1])
  end
until maxe
local n = redis.call('ZCARD', KEYS[2])
if n > 0 then
  local probe = redis.call('ZRANGE', KEYS[2], now % n, now % n)[1]
  if probe and not live(probe) then redis.call('ZREM', KEYS[2], probe) end
end
local pat = 0
if ARGV[4] == '1' then pat = redis.call('PUBSUB', 'NUMPAT') end
local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
return {added, tonumber(t[1]), tonumber(t[2]), maxe, pat, id}
`)

var errMalformedBeat = errors.New("redis: malformed heartbeat reply")

// beatAnswer reads beatScript's answer: its five numbers and the run_id.
func beatAnswer(a []rueidis.RedisMessage, err error) ([]int64, string, error) {
	if err != nil {
		return nil, "", err
	}
	if len(a) != 6 {
		return nil, "", errMalformedBeat
	}
	r := make([]int64, 5)
	for i := range r {
		if r[i], err = a[i].AsInt64(); err != nil {
			return nil, "", errMalformedBeat
		}
	}
	id, err := a[5].ToString()
	if err != nil {
		return nil, "", errMalformedBeat
	}
	return r, id, nil
}

// resync rewrites this node's subscription counts and presence entries
// from the local mirror.
func (b *Broker) resync() {
	d := &b.dir
	d.mu.Lock()
	d.full = true
	keys := make([]chanKey, 0, len(d.presence))
	for k := range d.presence {
		keys = append(keys, k)
	}
	d.mu.Unlock()
	d.wakeFlusher()
	b.resyncOccupancy()
	ctx, cancel := b.call(nil)
	old, _ := b.client.Do(ctx, b.client.B().Smembers().Key(b.presenceIndexKey(b.opts.NodeID)).Build()).AsStrSlice()
	cancel()
	seen := map[chanKey]bool{}
	for _, f := range old {
		if k, ok := parseField(f); ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		b.resyncPresence(k, resyncRetryFirst)
	}
}

// The pause before another attempt to rewrite a channel's presence share
// after a failed one doubles from resyncRetryFirst up to resyncRetryMax.
const (
	resyncRetryFirst = 100 * time.Millisecond
	resyncRetryMax   = 5 * time.Second
)

// resyncPresence rewrites this node's share of k's presence from the
// local mirror on k's presence goroutine, and tries again after wait
// (then doubling, bounded) until Redis takes it or the broker closes: a
// share that failed once (a cluster client still routing to a dead
// master, a timeout) would otherwise leave the node's members missing
// from the directory for good.
func (b *Broker) resyncPresence(k chanKey, wait time.Duration) {
	b.retryOn(k, "presence", wait, func() error { return b.replaceFromMirror(k) })
}

// retryOn runs fn on k's presence goroutine and, while it fails, again
// after wait, doubling up to resyncRetryMax, until the broker closes;
// what names the resync in the log.
func (b *Broker) retryOn(k chanKey, what string, wait time.Duration, fn func() error) {
	b.enqueue(k, func() {
		err := fn()
		if err == nil || b.ctx.Err() != nil {
			return
		}
		b.opts.Logger.Warn("redis: "+what+" resync failed, retrying", "channel", k.channel, "in", wait, "err", err)
		time.AfterFunc(wait, func() {
			if b.ctx.Err() == nil {
				b.retryOn(k, what, min(2*wait, resyncRetryMax), fn)
			}
		})
	})
}

// replaceFromMirror runs on k's presence goroutine, so no join or leave
// of k is in flight meanwhile.
func (b *Broker) replaceFromMirror(k chanKey) error {
	d := &b.dir
	d.mu.Lock()
	users := make(map[string]*localMember, len(d.presence[k]))
	for id, lm := range d.presence[k] {
		users[id] = &localMember{conns: lm.conns, info: lm.info}
	}
	d.mu.Unlock()
	if len(users) > 0 {
		ctx, cancel := b.call(nil)
		err := b.client.Do(ctx, b.client.B().Sadd().Key(b.presenceIndexKey(b.opts.NodeID)).Member(k.field()).Build()).Error()
		cancel()
		if err != nil {
			return err
		}
	}
	_, err := b.replace(k, b.opts.NodeID, users)
	if err == nil && len(users) == 0 {
		b.unindexPresence(k)
	}
	return err
}

// removeNode deletes a node's whole share of the directory; why
// ("expired", "crashed", "retired") goes to the log. The handler hears
// of the members and channels that left with it (for a retiring node:
// its own, which nobody else would report).
func (b *Broker) removeNode(node, why string) {
	if !b.reapListeners(node, why) {
		return // its channels keep refusing publications; the next round tries again
	}
	ctx, cancel := b.call(nil)
	defer cancel()
	won, err := leaveNodesScript.Exec(ctx, b.client, []string{b.nodesKey(), b.clockErrsKey()}, []string{node}).AsInt64()
	if err != nil || won != 1 {
		return
	}
	chans, _ := b.client.Do(ctx, b.client.B().Smembers().Key(b.presenceIndexKey(node)).Build()).AsStrSlice()
	rh := b.reapHandler()
	for _, f := range chans {
		k, ok := parseField(f)
		if !ok {
			continue
		}
		gone, err := b.replace(k, node, nil)
		if err != nil {
			b.opts.Logger.Warn("redis: reaping presence failed", "node", node, "channel", k.channel, "err", err)
		}
		for _, u := range gone {
			if rh != nil {
				rh.MemberReaped(k.app, k.channel, u)
			}
		}
	}
	b.client.DoMulti(ctx,
		b.client.B().Del().Key(b.presenceIndexKey(node)).Build(),
		b.client.B().Del().Key(b.subsKey(node)).Build())
	occupied := b.reapOccupancy(node)
	b.opts.Logger.Info("redis: reaped a node", "node", node, "why", why, "presence_channels", len(chans), "channels", occupied)
}

// leaveNodesScript removes node ARGV[1] from the nodes set KEYS[1] and,
// in the same step, its clock error from KEYS[2] (beatScript), so no
// entry of a reaped node is left behind; it returns 1 when it removed
// the node, 0 when another node had (ZREM's answer decides which one
// reaps it).
var leaveNodesScript = rueidis.NewLuaScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`)

// reapHandler is the handler's broker.ReapHandler, if it has one.
func (b *Broker) reapHandler() broker.ReapHandler {
	rh, _ := b.h.(broker.ReapHandler)
	return rh
}

// retire is a graceful exit: this node leaves the directory at once.
func (b *Broker) retire() {
	if b.h == nil {
		return
	}
	b.listMu.Lock()
	b.retired = true
	b.listMu.Unlock()
	ctx, cancel := b.call(nil)
	b.client.Do(ctx, b.client.B().Zadd().Key(b.nodesKey()).ScoreMember().ScoreMember(0, b.opts.NodeID).Build())
	cancel()
	b.removeNode(b.opts.NodeID, "retired")
}
