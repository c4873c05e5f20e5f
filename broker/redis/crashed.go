package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// Crash detection. A node that dies holding a channel stays in its
// listener set, and the channel refuses publications, until another node
// reaps it (listeners.go). Waiting for its expiry (Options.NodeTTL after
// its last heartbeat) would also spare a node that is merely stalled,
// but a process that dies (SIGKILL, the OOM killer, a panic) is
// recognisable sooner: its kernel closes its sockets, so Redis drops its
// connections at once, while a stalled process keeps them. Each node's
// pub/sub connection subscribes the node's alive channel (aliveName) for
// the node's whole life, so its subscriber count says whether Redis
// still holds that connection.
//
// A node is taken for crashed when both hold: it has not heartbeaten
// for crashGrace, and Redis counts no subscriber of its alive channel.
// Either alone is not enough:
//   - a node whose pub/sub connection is being restored (Redis killed
//     it, a network blip) has no alive subscriber for a moment, but its
//     heartbeats, on its other connection, go on;
//   - a stalled node (SIGSTOP, a long GC pause, a starved machine)
//     misses heartbeats, but Redis still holds its connections, with its
//     subscriptions and the messages queued for it. It is reaped only
//     when its expiry passes, as before, and its channels take
//     publications all along, since it is still subscribed.
//
// What is given up: a live node that is silent for crashGrace while
// Redis also lost its pub/sub connection (cut off from Redis, and the
// connection's close reached Redis) is reaped after crashGrace rather
// than after NodeTTL; its subscribers may then miss publications until
// it subscribes again. A machine that loses power or network keeps its
// connections open in Redis (until TCP keepalive ends them), so it is
// found by its expiry, as before.

// crashGrace is how long a node without a pub/sub connection in Redis
// may go without heartbeating before the others take it for crashed:
// four heartbeats (2 s with the default NodeTTL), at most NodeTTL.
func (b *Broker) crashGrace() time.Duration { return min(4*b.tick(), b.opts.NodeTTL) }

// redisNow is the time in Redis's clock (unix ms), as the heartbeat last
// measured the offset; node expiries are in that clock (beatScript).
func (b *Broker) redisNow() int64 { return time.Now().UnixMilli() + b.clockSkew.Load() }

// silentNodes are the other nodes that have not heartbeaten for grace,
// with their expiries (Redis's clock, unix ms).
func (b *Broker) silentNodes(ctx context.Context, grace time.Duration) ([]rueidis.ZScore, error) {
	below := b.redisNow() + (b.opts.NodeTTL - grace).Milliseconds()
	rows, err := b.client.Do(ctx, b.client.B().Zrangebyscore().Key(b.nodesKey()).
		Min("-inf").Max("("+strconv.FormatInt(below, 10)).Withscores().Build()).AsZScores()
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if r.Member != b.opts.NodeID {
			out = append(out, r)
		}
	}
	return out, nil
}

// connected reports, for each of nodes, whether Redis counts a
// subscriber of its alive channel: whether it still holds the node's
// pub/sub connection (in a cluster, the one to the master that owns the
// alive channel's slot).
func (b *Broker) connected(ctx context.Context, nodes []string) ([]bool, error) {
	out := make([]bool, len(nodes))
	if len(nodes) == 0 {
		return out, nil
	}
	var cmds rueidis.Commands
	if b.opts.Cluster {
		for _, n := range nodes {
			cmds = append(cmds, b.client.B().PubsubShardnumsub().Channel(b.aliveName(n)).Build())
		}
	} else {
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = b.aliveName(n)
		}
		cmds = append(cmds, b.client.B().PubsubNumsub().Channel(names...).Build())
	}
	i := 0
	for _, r := range b.client.DoMulti(ctx, cmds...) {
		pairs, err := r.ToArray()
		if err != nil {
			return nil, err
		}
		for j := 1; j < len(pairs) && i < len(out); j += 2 {
			n, err := pairs[j].AsInt64()
			if err != nil {
				return nil, err
			}
			out[i] = n > 0
			i++
		}
	}
	if i != len(out) {
		return nil, errMalformedNumsub
	}
	return out, nil
}

var errMalformedNumsub = fmt.Errorf("redis: malformed PUBSUB NUMSUB reply")

// reap removes the entries of the nodes found dead: those whose expiry
// passed (silent for NodeTTL), and those that crashed (silent for
// crashGrace with no pub/sub connection in Redis). ZREM decides which
// node does it, so each dead node is reaped once.
func (b *Broker) reap() {
	ctx, cancel := b.call(nil)
	silent, err := b.silentNodes(ctx, b.crashGrace())
	if err != nil {
		cancel()
		return
	}
	names := make([]string, len(silent))
	for i, r := range silent {
		names[i] = r.Member
	}
	live, err := b.connected(ctx, names)
	cancel()
	if err != nil { // unknown: take none for crashed, reap the expired
		live = make([]bool, len(silent))
		for i := range live {
			live[i] = true
		}
	}
	now := b.redisNow()
	for i, r := range silent {
		switch {
		case int64(r.Score) <= now:
			b.removeNode(r.Member, "expired")
		case !live[i]:
			b.removeNode(r.Member, "crashed")
		}
	}
}

// The kinds of holdup a listener refusal can have, most telling first.
const (
	holdDisconnected = iota // no connection: subscribing again, or reaped after crashGrace
	holdLeaving             // no entry in the nodes set: being reaped
	holdReaped              // taken out of the listener set by this node just now (reaped.go)
	holdStalled             // silent, connection held (in a cluster, maybe not the channel's): reaped at its expiry
	holdUnknown             // every listed node looks well (a cluster slot moved)
)

// holdUp is what keeps one channel refusing publications: the listed
// node that is not subscribed, and when a retry may pass.
type holdUp struct {
	kind   int
	node   string
	silent time.Duration // since its last heartbeat
	why    string        // holdReaped: why it was reaped ("crashed", "expired", "retired")
	until  time.Time     // when a retry may pass, as estimated
	at     time.Time     // when it was looked up
	// suspect: not looked up yet, only refused (holdUpCache.suspect).
	suspect bool
}

// holdUpFresh bounds how long a holdUp found for a channel answers its
// later refusals without asking Redis again.
const holdUpFresh = 250 * time.Millisecond

// findHoldUps looks up, for each listener set of lkeys, which of its
// nodes holds its channel up, in three round trips however many sets
// there are: the sets' SMEMBERS in one pipeline, then the ZMSCORE of
// the nodes they name, then whether Redis holds those nodes' pub/sub
// connections. A set Redis cannot tell about gets a holdup of unknown
// kind, unless this node has just reaped a node from it (reaped.go).
func (b *Broker) findHoldUps(lkeys []string) []holdUp {
	out := b.lookUpListeners(lkeys)
	now := time.Now()
	for i := range out {
		if out[i].kind != holdUnknown || out[i].node != "" {
			continue
		}
		if f, ok := b.reaped.of(lkeys[i], now); ok {
			out[i] = holdUp{kind: holdReaped, node: f.node, why: f.why, at: now, until: now}
		}
	}
	return out
}

// lookUpListeners is findHoldUps's three round trips.
func (b *Broker) lookUpListeners(lkeys []string) []holdUp {
	now := time.Now()
	out := make([]holdUp, len(lkeys))
	for i := range out {
		out[i] = holdUp{kind: holdUnknown, at: now, until: now.Add(time.Second)}
	}
	ctx, cancel := b.call(nil)
	defer cancel()
	cmds := make(rueidis.Commands, len(lkeys))
	for i, k := range lkeys {
		cmds[i] = b.client.B().Smembers().Key(k).Build()
	}
	sets := make([][]string, len(lkeys))
	var nodes []string     // every node the sets name, once
	at := map[string]int{} // a node's index in nodes
	for i, r := range b.client.DoMulti(ctx, cmds...) {
		set, err := r.AsStrSlice()
		if err != nil {
			continue
		}
		sets[i] = set
		for _, n := range set {
			if _, ok := at[n]; !ok {
				at[n] = len(nodes)
				nodes = append(nodes, n)
			}
		}
	}
	if len(nodes) == 0 {
		return out
	}
	scores, err := b.client.Do(ctx, b.client.B().Zmscore().Key(b.nodesKey()).Member(nodes...).Build()).ToArray()
	if err != nil || len(scores) != len(nodes) {
		return out
	}
	live, err := b.connected(ctx, nodes)
	if err != nil {
		return out
	}
	own := make([]holdUp, len(nodes))
	for j, n := range nodes {
		own[j] = b.nodeHoldUp(n, scores[j], live[j], now)
	}
	for i, set := range sets {
		for _, n := range set {
			if c := own[at[n]]; c.kind < out[i].kind {
				out[i] = c
			}
		}
	}
	return out
}

// nodeHoldUp is what node n, found at now with its expiry score in the
// nodes set and its pub/sub connection held by Redis or not (live),
// holds up; holdUnknown when it looks well.
func (b *Broker) nodeHoldUp(n string, score rueidis.RedisMessage, live bool, now time.Time) holdUp {
	c := holdUp{kind: holdUnknown, node: n, at: now}
	expiry, err := score.AsFloat64()
	if err != nil {
		c.kind, c.until = holdLeaving, now.Add(b.tick())
		return c
	}
	rnow := b.redisNow()
	last := int64(expiry) - b.opts.NodeTTL.Milliseconds()
	c.silent = time.Duration(rnow-last) * time.Millisecond
	switch {
	case !live:
		// Subscribing again, or crashed: a retry passes either way once
		// it would be taken for crashed.
		c.kind, c.until = holdDisconnected, now.Add(b.crashGrace()-c.silent+b.tick())
	case c.silent >= 2*b.tick(): // a node this late has missed a heartbeat
		c.kind, c.until = holdStalled, now.Add(time.Duration(int64(expiry)-rnow)*time.Millisecond+b.tick())
	}
	return c
}

// reason is the refusal's message for channel.
func (h holdUp) reason(channel string, grace time.Duration) string {
	retry := fmt.Sprintf("retry after ~%ds", max(1, int((time.Until(h.until)+time.Second-1)/time.Second)))
	silent := h.silent.Round(100 * time.Millisecond)
	switch {
	case h.kind == holdDisconnected && h.silent >= grace/2:
		return fmt.Sprintf("channel %s is held by node %s that stopped heartbeating %s ago and whose Redis connection closed; it is taken for crashed %s after its last heartbeat; %s",
			channel, h.node, silent, grace, retry)
	case h.kind == holdDisconnected:
		return fmt.Sprintf("channel %s is held by node %s that lost its Redis connection: it is subscribing again, or, if it crashed, it is taken for crashed %s after its last heartbeat; %s",
			channel, h.node, grace, retry)
	case h.kind == holdStalled:
		return fmt.Sprintf("channel %s is held by node %s that stopped heartbeating %s ago but keeps its Redis connection (stalled?); it is dropped when redis.node_ttl runs out; %s",
			channel, h.node, silent, retry)
	case h.kind == holdLeaving:
		return fmt.Sprintf("channel %s is held by node %s that is being removed from the cluster; %s", channel, h.node, retry)
	case h.kind == holdReaped:
		return fmt.Sprintf("channel %s was held by node %s, removed from the cluster just now (%s); %s", channel, h.node, h.why, retry)
	}
	return fmt.Sprintf("channel %s: a node that listens to it is not subscribed to it right now; %s", channel, retry)
}
