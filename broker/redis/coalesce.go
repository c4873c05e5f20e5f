package redis

import (
	"context"
	"sync"

	"github.com/fanout/fanout/broker"
)

// Concurrent publishes to history channels share script calls: the
// publish script's fixed cost per call (running a script, TIME, the
// reply) is about as large as the work for one publication, so with
// many HTTP API requests at once one call for several halves Redis's
// work per event. A publish queues its publications; at most
// maxKeptCalls script calls are in flight, and each takes everything
// queued when it starts (whole Publish calls, up to maxKeptBatch
// publications), so publications wait only while that many earlier
// calls are in flight, never for a timer. Waiting costs latency, which
// is what bounds a node's publish rate until Redis's CPU does: measured
// with 16 concurrent HTTP publishers, a limit of 2 calls cut Redis's
// calls threefold but lowered the publish rate, so the limit is high
// and calls are shared only once Redis is that far behind. Only for a
// standalone Redis: in a cluster one call must stay on one slot.
//
// The guarantees of one publication are those of the script: append,
// offset and publish are one atomic step, and each publication carries
// its own deadline, so one whose caller already gave up (and answered
// 503) is skipped by the script, never run late. One Publish call's
// publications go in one script call, in order.

// maxKeptCalls and maxKeptBatch bound the script calls in flight and the
// publications in one call; a variable so a test can force sharing.
var maxKeptCalls = 32

const maxKeptBatch = 64

// keptQueue holds the publish calls waiting for a script call.
type keptQueue struct {
	mu       sync.Mutex
	waiting  []*keptCall
	inflight int // script calls sent and not answered
}

// keptCall is one Publish call's publications; done is closed once err
// is final.
type keptCall struct {
	ks   []kept
	err  error
	done chan struct{}
}

// publishCoalesced publishes ks (one Publish call, all keeping history)
// in a shared script call and waits for it, or for ctx.
func (b *Broker) publishCoalesced(ctx context.Context, ks []kept) error {
	c := &keptCall{ks: ks, done: make(chan struct{})}
	q := &b.keptQ
	q.mu.Lock()
	q.waiting = append(q.waiting, c)
	lead := q.inflight < maxKeptCalls
	if lead {
		q.inflight++
	}
	q.mu.Unlock()
	if lead {
		if b.flushKept() {
			go b.flushAllKept()
		}
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		// The script skips these publications once their deadline,
		// which is ctx's, has passed in Redis's clock.
		return broker.ErrUnavailable
	}
}

// flushAllKept sends script calls until nothing waits.
func (b *Broker) flushAllKept() {
	for b.flushKept() {
	}
}

// flushKept sends one script call with what waits, holding one of the
// in-flight places; it reports whether more waits, in which case the
// caller keeps that place and must call again.
func (b *Broker) flushKept() (more bool) {
	q := &b.keptQ
	q.mu.Lock()
	n, items := 0, 0
	for n < len(q.waiting) && (n == 0 || items+len(q.waiting[n].ks) <= maxKeptBatch) {
		items += len(q.waiting[n].ks)
		n++
	}
	calls := append([]*keptCall(nil), q.waiting[:n]...)
	q.waiting = append(q.waiting[:0], q.waiting[n:]...)
	q.mu.Unlock()
	if len(calls) > 0 {
		b.sendKeptCalls(calls, items)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.inflight--
		return false
	}
	return true
}

// sendKeptCalls runs the publish script once for calls (items
// publications in all) and settles each call.
func (b *Broker) sendKeptCalls(calls []*keptCall, items int) {
	ks := make([]kept, 0, items)
	for _, c := range calls {
		ks = append(ks, c.ks...)
	}
	ctx, cancel := b.call(nil)
	mark := b.confirms.Load() // before the call is sent (see held)
	outs, err := b.keptAnswers(b.runScripts(ctx, b.publishKeptCall(ks))[0], len(ks))
	cancel()
	at := 0
	for _, c := range calls {
		c.err = err
		if err == nil {
			c.err = b.settle(c.ks, outs[at:at+len(c.ks)], mark)
		}
		at += len(c.ks)
		close(c.done)
	}
}
