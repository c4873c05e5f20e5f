package redis

import (
	"context"
	"time"

	"github.com/fanout/fanout/broker"
)

// Explaining refusals. A publication refused by the listener check is
// answered with a broker.UnavailableError that names the node holding
// its channel up and says when a retry may pass (crashed.go). Finding
// that node takes Redis three round trips (the listener set, its nodes'
// expiries, their pub/sub connections), and they must not hold up other
// publications: a node that crashed holding hundreds of channels would
// otherwise make every publisher of the node, to any channel, wait for
// hundreds of lookups one after another. So settling a call's answers
// only notes its refusals (settling.refuse), and the callers refused are
// answered once explain has filled in their errors, after the call gave
// up its in-flight place (sendShared, coalesce.go): the next call goes
// out meanwhile. The channels whose holdup is not cached are looked up
// through a queue of their own with one lookup in flight, which takes
// every channel queued meanwhile (findHoldUps: three round trips for up
// to maxHoldUpBatch channels), so the refusals of a crash cost Redis a
// few lookups, not three round trips per channel. Each holdup found is
// cached (holdUps) before its callers are answered, so a caller's retry
// after its 503 runs as the script while the holdup lasts (anyHeldUp).

// maxHoldUpBatch bounds the listener sets one lookup asks about.
const maxHoldUpBatch = 256

// settling is what settling the answers of one pipeline or script call
// needs: mark, b.confirms read before it was sent (see held), and the
// publications refused by the listener check, for explain.
type settling struct {
	mark    uint64
	refused []refusal
}

// refusal is one publication refused by the listener check: its caller's
// error, which explain fills in, its channel and its listener set key.
type refusal struct {
	err           *broker.UnavailableError
	channel, lkey string
}

// holdUpAsk is one listener set whose holdup a lookup finds.
type holdUpAsk struct {
	lkey string
	h    holdUp
}

// refuse notes p's refusal by the listener check and returns its error,
// whose reason explain fills in; its caller must not be answered before.
// The channel turns suspect at once (holdUpCache.suspect), before the
// pipeline gives up its in-flight place: publications to it sent while
// the refusal is explained run as the script, which refuses before it
// publishes, as they do once its holdup is found.
func (s *settling) refuse(b *Broker, p *broker.Publication) error {
	e := &broker.UnavailableError{}
	lkey := b.listenersOf(p.App, p.Channel)
	now := time.Now()
	b.holdUps.suspect(lkey, now, now.Add(2*b.opts.Timeout+time.Second)) // explain's bound, and its fallback's
	s.refused = append(s.refused, refusal{err: e, channel: p.Channel, lkey: lkey})
	return e
}

// explain fills in the errors of rs, each naming the node that holds its
// channel up and how long a retry should wait, and logs each refusal. It
// asks Redis about a channel at most once per holdUpFresh, for all
// channels not cached in one lookup (waiting for the one in flight, if
// any); when Redis cannot tell in time, the holdup is of unknown kind.
func (b *Broker) explain(rs []refusal) {
	if len(rs) == 0 {
		return
	}
	found := make(map[string]holdUp, len(rs))
	var asks []*holdUpAsk
	for _, r := range rs {
		if _, ok := found[r.lkey]; ok {
			continue
		}
		h, ok := b.holdUps.get(r.lkey)
		if !ok {
			now := time.Now()
			h = holdUp{kind: holdUnknown, at: now, until: now.Add(time.Second)}
			asks = append(asks, &holdUpAsk{lkey: r.lkey})
		}
		found[r.lkey] = h
	}
	if len(asks) > 0 {
		// One lookup may be in flight before this one; each is bounded
		// by the call timeout.
		ctx, cancel := context.WithTimeout(b.ctx, 2*b.opts.Timeout)
		err := b.holdUpQ.run(ctx, asks, 0, 1, maxHoldUpBatch, b.lookUpHoldUps)
		cancel()
		for _, a := range asks {
			if err == nil {
				found[a.lkey] = a.h
			}
			b.holdUps.put(a.lkey, found[a.lkey])
		}
	}
	grace := b.crashGrace()
	for _, r := range rs {
		h := found[r.lkey]
		reason := h.reason(r.channel, grace)
		b.refusals.add("redis publish refused: a node that listens to the channel is not subscribed to it", h.node, r.channel, reason)
		*r.err = broker.UnavailableError{Reason: reason, RetryAfter: max(time.Until(h.until), 0)}
	}
}

// lookUpHoldUps finds the holdups of every ask of calls (items in all;
// two explanations may ask about one set) in one lookup and settles each
// call.
func (b *Broker) lookUpHoldUps(calls []*queuedCall[*holdUpAsk], items int) {
	lkeys := make([]string, 0, items)
	at := make(map[string]int, items) // a set's index in lkeys
	for _, c := range calls {
		for _, a := range c.items {
			if _, ok := at[a.lkey]; !ok {
				at[a.lkey] = len(lkeys)
				lkeys = append(lkeys, a.lkey)
			}
		}
	}
	hs := b.findHoldUps(lkeys)
	for _, c := range calls {
		for _, a := range c.items {
			a.h = hs[at[a.lkey]]
		}
		close(c.done)
	}
}
