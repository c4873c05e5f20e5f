package redis

import (
	"context"
	"strconv"
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
//
// Publishes to channels without history share calls of publishScript
// the same way, with at most maxPlainCalls (1) in flight: a lone
// publisher never waits (nothing is in flight when it comes), and
// back-to-back publishers on one node send what queued during the last
// round trip as one call, so Redis runs the script, its TIME and its
// reply once for them; the listener check (SCARD, PUBSUB NUMSUB) still
// runs per publication. A shared call's deadline is the earliest of its
// callers'. Plain publishes (plainpub.go) share pipelines through a queue
// of their own the same way. TestConcurrentPublishesShareScriptCalls
// counts the calls Redis ran. A call holds its in-flight place only
// until its answer is read: explaining a refusal by the listener check
// takes more round trips, made after the place is given up
// (explain.go), so a crashed node's refusals do not hold up the node's
// other publications (TestRefusalsDoNotStallOtherPublishes).

// maxKeptCalls and maxKeptBatch bound the script calls in flight and the
// publications in one call; a variable so a test can force sharing.
var maxKeptCalls = 32

const maxKeptBatch = 64

// callQueue holds the Publish calls waiting for a script call, of one
// script: T is what one publication takes to the script.
type callQueue[T any] struct {
	mu       sync.Mutex
	waiting  []*queuedCall[T]
	inflight int // script calls sent and not answered
}

// queuedCall is one Publish call's publications, to be sent before dl
// (Redis's clock, unix ms); done is closed once err is final.
type queuedCall[T any] struct {
	items []T
	dl    int64
	err   error
	done  chan struct{}
}

// run queues one Publish call's items, sends script calls while fewer
// than limit are in flight (each with at most batch items, whole
// Publish calls; send makes one and settles its calls), and waits for
// this call's outcome or for ctx.
func (q *callQueue[T]) run(ctx context.Context, items []T, dl int64, limit, batch int,
	send func([]*queuedCall[T], int)) error {
	c := &queuedCall[T]{items: items, dl: dl, done: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, c)
	lead := q.inflight < limit
	if lead {
		q.inflight++
	}
	q.mu.Unlock()
	if lead && q.flush(batch, send) {
		go func() {
			for q.flush(batch, send) {
			}
		}()
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

// flush sends one script call with what waits, holding one of the
// in-flight places; it reports whether more waits, in which case the
// caller keeps that place and must call again.
func (q *callQueue[T]) flush(batch int, send func([]*queuedCall[T], int)) (more bool) {
	q.mu.Lock()
	n, items := 0, 0
	for n < len(q.waiting) && (n == 0 || items+len(q.waiting[n].items) <= batch) {
		items += len(q.waiting[n].items)
		n++
	}
	calls := append([]*queuedCall[T](nil), q.waiting[:n]...)
	q.waiting = append(q.waiting[:0], q.waiting[n:]...)
	q.mu.Unlock()
	if len(calls) > 0 {
		send(calls, items)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.inflight--
		return false
	}
	return true
}

// publishCoalesced publishes ks (one Publish call, all keeping history)
// in a shared script call and waits for it, or for ctx.
func (b *Broker) publishCoalesced(ctx context.Context, ks []kept) error {
	return b.keptQ.run(ctx, ks, 0, maxKeptCalls, maxKeptBatch, b.sendKeptCalls)
}

// sendShared runs one script call for calls: call makes it from all
// their items (in order), with the earliest of their deadlines, and
// answers the error of the whole call or settle, which settles items
// from the answer of the items from at on with s; each queued call is
// then given its outcome. A call with publications refused by the
// listener check gets it once they are explained (explain.go), which
// happens after sendShared returned and gave up its in-flight place, so
// the next call goes out meanwhile and callers with no refusal wait for
// no explanation.
func sendShared[T any](b *Broker, calls []*queuedCall[T], items int,
	call func(ctx context.Context, all []T, dl int64) (settle func(items []T, at int, s *settling) error, err error)) {
	all := make([]T, 0, items)
	dl := calls[0].dl
	for _, c := range calls {
		all = append(all, c.items...)
		dl = min(dl, c.dl)
	}
	ctx, cancel := b.call(nil)
	s := &settling{mark: b.confirms.Load()} // before the call is sent (see held)
	settle, err := call(ctx, all, dl)
	cancel()
	at := 0
	var refused []*queuedCall[T]
	for _, c := range calls {
		had := len(s.refused)
		c.err = err
		if err == nil {
			c.err = settle(c.items, at, s)
		}
		at += len(c.items)
		if len(s.refused) > had {
			refused = append(refused, c)
			continue
		}
		close(c.done)
	}
	if len(refused) > 0 {
		go func() {
			b.explain(s.refused)
			for _, c := range refused {
				close(c.done)
			}
		}()
	}
}

// sendKeptCalls runs the history publish script once for calls (items
// publications in all; each carries its own deadline) and settles each
// call.
func (b *Broker) sendKeptCalls(calls []*queuedCall[kept], items int) {
	sendShared(b, calls, items, func(ctx context.Context, ks []kept, _ int64) (func([]kept, int, *settling) error, error) {
		outs, err := b.keptAnswers(b.runScripts(ctx, b.publishKeptCall(ks))[0], len(ks))
		return func(items []kept, at int, s *settling) error {
			return b.settle(items, outs[at:at+len(items)], s)
		}, err
	})
}

// maxPlainCalls and maxPlainBatch bound the calls of publishScript in
// flight and the publications in one call; a variable so a benchmark
// can compare limits.
var maxPlainCalls = 1

const maxPlainBatch = 64

// sendPlainCalls runs publishScript once for calls (items publications
// in all) and settles each call. The call's deadline is the earliest of
// theirs: a publication may then be refused a little early, never run
// after its caller gave up.
func (b *Broker) sendPlainCalls(calls []*queuedCall[plainPub], items int) {
	sendShared(b, calls, items, func(ctx context.Context, pubs []plainPub, dl int64) (func([]plainPub, int, *settling) error, error) {
		outs, err := b.plainAnswers(b.runScripts(ctx, b.publishCall(strconv.FormatInt(dl, 10), pubs))[0], len(pubs))
		return func(items []plainPub, at int, s *settling) error {
			return b.settlePlainOuts(items, outs[at:at+len(items)], s)
		}, err
	})
}
