package redis

import (
	"time"

	"github.com/redis/rueidis"
)

// Listener sets: each channel has a set of the nodes that hold a
// confirmed subscription to it, "{<pub/sub name>}:l", in the channel's own
// hash slot, so the publish scripts can compare it with the number of
// subscribers Redis has for the channel right now (PUBSUB NUMSUB, or
// SHARDNUMSUB in a cluster) and refuse a publication that a listed node
// would miss: one whose pub/sub connection is being restored, or that
// still has to subscribe again on a newly promoted cluster master. A
// node enters a set after Redis confirmed its subscription and leaves it
// before it unsubscribes, so normal churn never makes the count short;
// each node also keeps an index of its sets, "{prefix}:nl:<node>",
// written before a set and cleared after it, so the reaper removes a
// dead node from every set it was in (until then, that node's channels
// refuse publications: see doc.go).

// listenersKey is the listener set of the Redis channel name.
func listenersKey(name string) string { return "{" + name + "}:l" }

// channelOfListeners is the Redis channel name inside a listenersKey (no
// allocation: the publish path builds the key and takes the name from
// it).
func channelOfListeners(key string) string { return key[1 : len(key)-3] }

// listenersOf is the listener set key of one fanout channel.
func (b *Broker) listenersOf(app, channel string) string {
	return "{" + b.opts.Prefix + ":c:" + app + ":" + channel + "}:l"
}

// listenerIndexKey is a node's set of the Redis channels whose listener
// sets name it.
func (b *Broker) listenerIndexKey(node string) string { return b.opts.Prefix + ":nl:" + node }

// listable reports whether other nodes' publications should wait for
// this node's subscription to the Redis channel name (every fanout
// channel; not the control channel nor the node's alive channel).
func (b *Broker) listable(name string) bool {
	return name != b.controlName() && name != b.aliveName(b.opts.NodeID)
}

// listRetry is the pause after a listener set could not be written, before
// the pub/sub goroutine tries again.
const listRetry = 250 * time.Millisecond

// list adds this node to the listener sets of names (confirmed
// subscriptions); unlist removes it (before their unsubscribe). Either
// reports false when Redis did not take all of it; the caller queues the
// names again.
func (b *Broker) list(names []string) bool {
	b.listMu.RLock()
	defer b.listMu.RUnlock()
	if b.retired {
		return true // retire removes this node from every set; add nothing after it
	}
	ctx, cancel := b.call(nil)
	defer cancel()
	node := b.opts.NodeID
	if err := b.client.Do(ctx, b.client.B().Sadd().Key(b.listenerIndexKey(node)).Member(names...).Build()).Error(); err != nil {
		return b.listFailed(err)
	}
	cmds := make(rueidis.Commands, 0, len(names))
	for _, name := range names {
		cmds = append(cmds, b.client.B().Sadd().Key(listenersKey(name)).Member(node).Build())
	}
	return b.allDone(b.client.DoMulti(ctx, cmds...))
}

func (b *Broker) unlist(names []string) bool {
	ctx, cancel := b.call(nil)
	defer cancel()
	node := b.opts.NodeID
	cmds := make(rueidis.Commands, 0, len(names))
	for _, name := range names {
		cmds = append(cmds, b.client.B().Srem().Key(listenersKey(name)).Member(node).Build())
	}
	if !b.allDone(b.client.DoMulti(ctx, cmds...)) {
		return false
	}
	_ = b.client.Do(ctx, b.client.B().Srem().Key(b.listenerIndexKey(node)).Member(names...).Build()).Error()
	return true
}

func (b *Broker) allDone(res []rueidis.RedisResult) bool {
	for _, r := range res {
		if err := r.Error(); err != nil {
			return b.listFailed(err)
		}
	}
	return true
}

func (b *Broker) listFailed(err error) bool {
	b.opts.Logger.Debug("redis: writing listener sets failed, retrying", "err", err)
	return false
}

// listed records the outcome of list or unlist for names and queues
// what is left to do on each channel's connection: the unsubscribe that
// waited for unlist, or another attempt.
func (b *Broker) listed(names []string, adding, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, name := range names {
		in := b.subs[name]
		if in == nil {
			continue
		}
		if ok {
			in.inSet = adding
			in.listed = adding // unlisted: nothing of it is left in Redis
		}
		if in.idle() {
			delete(b.subs, name)
			continue
		}
		if in.ps != nil {
			in.ps.dirty[name] = struct{}{}
			in.ps.wake()
		}
	}
}

// relist is for a Redis that lost this node's listener entries (it lost
// its data, or reaped this node during a long pause): every confirmed
// subscription is written to its set again.
func (b *Broker) relist() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, in := range b.subs {
		in.inSet = false
		if in.active && in.ps != nil {
			in.ps.dirty[name] = struct{}{}
			in.ps.wake()
		}
	}
}

// reapListeners removes a dead node from every listener set it was in, so
// publications to those channels stop waiting for it. It reports whether
// Redis took all of it; it is idempotent, so the reaper calls it before
// it claims the node and tries again on its next round after a failure.
func (b *Broker) reapListeners(node, why string) bool {
	ctx, cancel := b.call(nil)
	defer cancel()
	names, err := b.client.Do(ctx, b.client.B().Smembers().Key(b.listenerIndexKey(node)).Build()).AsStrSlice()
	if err != nil {
		return false
	}
	cmds := make(rueidis.Commands, 0, len(names)+1)
	lkeys := make([]string, 0, len(names))
	for _, name := range names {
		lkeys = append(lkeys, listenersKey(name))
		cmds = append(cmds, b.client.B().Srem().Key(lkeys[len(lkeys)-1]).Member(node).Build())
	}
	b.reaped.record(node, why, lkeys, time.Now()) // before the sets change: a refusal explained after names it
	if len(cmds) > 0 && !b.allDone(b.client.DoMulti(ctx, cmds...)) {
		return false
	}
	return b.client.Do(ctx, b.client.B().Del().Key(b.listenerIndexKey(node)).Build()).Error() == nil
}
