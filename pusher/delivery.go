package pusher

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/shard"
)

// Queue bounds of the delivery engine. A channel holds at most laneLimit
// queued events, and fewer when it is big: at most laneWork deliveries
// (events × subscribers, at least two events), so that what is queued
// is always written out within a bounded time. All channels together
// hold at most queueLimit events. An event that finds no room is refused
// (ErrBusy), never queued without bound.
//
// laneWork is about three seconds of writing at the rate two cores
// reach: with a quarter of it, a burst of ten publishes to an 18,000
// subscriber channel already drew 503s although the node kept up (see
// BENCHMARKS.md, "One big channel").
//
// A worker takes up to batchLimit events of one channel at a time, at
// most batchBytes of frames, and writes them to each subscriber in one
// writev. Channels with queued events wait in one round-robin line that
// every worker serves, and a channel is served by one worker at a time
// (which keeps its order): a flooded channel occupies at most one worker
// and, after each pass over its subscribers, goes to the back of the line,
// so it cannot starve the others.
const (
	laneLimit  = 64
	laneWork   = 1 << 19
	queueLimit = 4096
	batchLimit = 64
	batchBytes = 64 << 10
)

// ErrBusy refuses an event the delivery queues have no room for: the
// publisher may retry later (HTTP 503 with Retry-After, pusher:error 4100
// for a client event).
const ErrBusy = broker.ErrBusy

// lane is one channel's queued events.
type lane struct {
	key    shard.Key
	events []broker.Publication
	busy   bool // a worker is writing a batch of it
}

// queues is the delivery engine's state: the channels with queued
// events and the line of those that wait for a worker.
type queues struct {
	mu     sync.Mutex
	lanes  map[shard.Key]*lane
	ready  []*lane // channels with events and no worker, round robin
	queued int
	wake   chan struct{} // a worker may find something in ready
	room   chan struct{} // closed (and replaced) when events are taken
}

func newQueues() *queues {
	return &queues{lanes: map[shard.Key]*lane{}, wake: make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		room: make(chan struct{})}
}

// laneRoom is how many events a channel of subs subscribers may queue.
func laneRoom(subs int) int {
	return min(laneLimit, max(2, laneWork/max(subs, 1)))
}

// push queues p if its channel (of subs subscribers) and the engine have
// room.
func (q *queues) push(key shard.Key, p broker.Publication, subs int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.lanes[key]
	if q.queued >= queueLimit || (l != nil && len(l.events) >= laneRoom(subs)) {
		return false
	}
	if l == nil {
		l = &lane{key: key}
		q.lanes[key] = l
	}
	if len(l.events) == 0 && !l.busy {
		q.readyLocked(l)
	}
	l.events = append(l.events, p)
	q.queued++
	return true
}

// readyLocked puts l in line and wakes a worker.
func (q *queues) readyLocked(l *lane) {
	q.ready = append(q.ready, l)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take gives the next channel in line to the calling worker: its key and
// its next batch (nil when no channel waits).
func (q *queues) take(buf []broker.Publication) (*lane, []broker.Publication) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ready) == 0 {
		return nil, nil
	}
	l := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	n, size := 1, len(l.events[0].Data)
	for n < min(len(l.events), batchLimit) && size+len(l.events[n].Data) <= batchBytes {
		size += len(l.events[n].Data)
		n++
	}
	buf = append(buf[:0], l.events[:n]...)
	clear(l.events[:n])
	l.events = l.events[n:]
	l.busy = true
	q.queued -= n
	close(q.room)
	q.room = make(chan struct{})
	return l, buf
}

// done ends a worker's batch of l: l goes back in line if it has more.
func (q *queues) done(l *lane) {
	q.mu.Lock()
	defer q.mu.Unlock()
	l.busy = false
	if len(l.events) > 0 {
		q.readyLocked(l)
	} else {
		delete(q.lanes, l.key)
	}
}

func (q *queues) roomSignal() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.room
}

// startDelivery runs the delivery workers and the fan-out helpers.
func (s *Server) startDelivery() {
	for range 2 * runtime.GOMAXPROCS(0) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runWorker()
		}()
	}
	for range runtime.GOMAXPROCS(0) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runHelper()
		}()
	}
}

func (s *Server) runWorker() {
	var buf []broker.Publication
	var b batch
	for {
		l, ps := s.queues.take(buf)
		if l == nil {
			select {
			case <-s.queues.wake:
				continue
			case <-s.stop:
				return
			}
		}
		s.deliverBatch(&b, l.key, ps)
		s.queues.done(l)
		clear(ps)
		buf = ps[:0]
		s.pending.Add(-int64(len(ps)))
	}
}

// Offer queues p for delivery to this node's subscribers. It waits for
// room until ctx is done (a done ctx means: only if there is room now),
// then returns ErrBusy; after Close it returns broker.ErrClosed. It never
// waits for anything but room in the queues, which the delivery workers
// free without waiting for any publisher.
func (s *Server) Offer(ctx context.Context, p broker.Publication) error {
	key := shard.Key{App: p.App, Name: p.Channel}
	q := s.queues
	subs := 0
	if ch := s.hub.Lookup(key); ch != nil {
		subs = ch.Len()
	}
	s.pending.Add(1)
	for {
		room := q.roomSignal()
		if q.push(key, p, subs) {
			return nil
		}
		if ctx.Err() != nil {
			s.pending.Add(-1)
			return ErrBusy
		}
		select {
		case <-room:
		case <-ctx.Done():
		case <-s.stop:
			s.pending.Add(-1)
			return broker.ErrClosed
		}
	}
}

// Deliver implements broker.Handler for brokers that do not offer (see
// broker.Offerer): it waits at most deliverWait for room, then drops the
// event and counts it.
func (s *Server) Deliver(p broker.Publication) {
	ctx, cancel := context.WithTimeout(context.Background(), deliverWait)
	defer cancel()
	if s.Offer(ctx, p) != nil {
		s.opts.Metrics.Refused(RefusedDelivery)
	}
}

// deliverWait bounds how long Deliver waits for room.
const deliverWait = time.Second

// waitDelivered waits until every queued event has been written to its
// subscribers' queues, or until the deadline.
func (s *Server) waitDelivered(deadline time.Time) {
	for s.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// Dropped implements broker.DropHandler: it counts a publication a broker
// dropped because this node had no room for it.
func (s *Server) Dropped(broker.Publication) { s.opts.Metrics.Refused(RefusedDelivery) }
