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
// is always written out within a bounded time. A worker holds at most
// workerLimit events over all its channels. An event that finds no room
// is refused (ErrBusy), never queued without bound.
//
// A worker takes up to batchLimit events of one channel at a time, at
// most batchBytes of frames, writes them to each subscriber in one
// writev, then moves on to the next channel with queued events (round
// robin): a turn costs one pass over the channel's subscribers, so a
// flooded channel gets its turn like any other and cannot starve them.
const (
	laneLimit   = 64
	laneWork    = 1 << 16
	workerLimit = 1024
	batchLimit  = 64
	batchBytes  = 64 << 10
)

// ErrBusy refuses an event the delivery queues have no room for: the
// publisher may retry later (HTTP 503 with Retry-After, pusher:error 4100
// for a client event).
const ErrBusy = broker.ErrBusy

// lane is one channel's queued events on its worker.
type lane struct {
	key    shard.Key
	events []broker.Publication
}

// worker is one delivery goroutine's state: the channels with queued
// events, in the order they take turns.
type worker struct {
	mu     sync.Mutex
	lanes  map[shard.Key]*lane
	ready  []*lane // channels with events, round robin
	queued int
	wake   chan struct{} // cap 1: ready is not empty
	room   chan struct{} // closed (and replaced) when events are taken
}

func newWorkers() []*worker {
	ws := make([]*worker, 2*runtime.GOMAXPROCS(0))
	for i := range ws {
		ws[i] = &worker{lanes: map[shard.Key]*lane{}, wake: make(chan struct{}, 1), room: make(chan struct{})}
	}
	return ws
}

// laneRoom is how many events a channel of subs subscribers may queue.
func laneRoom(subs int) int {
	return min(laneLimit, max(2, laneWork/max(subs, 1)))
}

// push queues p if its channel (of subs subscribers) and the worker have
// room.
func (w *worker) push(key shard.Key, p broker.Publication, subs int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.lanes[key]
	if w.queued >= workerLimit || (l != nil && len(l.events) >= laneRoom(subs)) {
		return false
	}
	if l == nil {
		l = &lane{key: key}
		w.lanes[key] = l
		w.ready = append(w.ready, l)
	}
	l.events = append(l.events, p)
	w.queued++
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes the next channel's batch (nil when nothing is queued). A
// channel with events left goes to the back of the turn order.
func (w *worker) take(buf []broker.Publication) (shard.Key, []broker.Publication) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ready) == 0 {
		return shard.Key{}, nil
	}
	l := w.ready[0]
	w.ready[0] = nil
	w.ready = w.ready[1:]
	n, size := 1, len(l.events[0].Data)
	for n < min(len(l.events), batchLimit) && size+len(l.events[n].Data) <= batchBytes {
		size += len(l.events[n].Data)
		n++
	}
	buf = append(buf[:0], l.events[:n]...)
	clear(l.events[:n])
	l.events = l.events[n:]
	if len(l.events) > 0 {
		w.ready = append(w.ready, l)
	} else {
		delete(w.lanes, l.key)
	}
	w.queued -= n
	close(w.room)
	w.room = make(chan struct{})
	return l.key, buf
}

func (w *worker) roomSignal() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.room
}

// startDelivery runs the delivery workers and the fan-out helpers. Events
// of one channel always go to the same worker, in order.
func (s *Server) startDelivery() {
	for _, w := range s.workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runWorker(w)
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

func (s *Server) runWorker(w *worker) {
	var buf []broker.Publication
	var b batch
	for {
		key, ps := w.take(buf)
		if ps == nil {
			select {
			case <-w.wake:
				continue
			case <-s.stop:
				return
			}
		}
		s.deliverBatch(&b, key, ps)
		clear(ps)
		buf = ps[:0]
		s.pending.Add(-int64(len(ps)))
	}
}

// workerFor is the worker of a channel.
func (s *Server) workerFor(key shard.Key) *worker {
	return s.workers[s.hub.Index(key.Name)%len(s.workers)]
}

// Offer queues p for delivery to this node's subscribers. It waits for
// room until ctx is done (a done ctx means: only if there is room now),
// then returns ErrBusy; after Close it returns broker.ErrClosed. It never
// waits for anything but room in the queues, which the delivery workers
// free without waiting for any publisher.
func (s *Server) Offer(ctx context.Context, p broker.Publication) error {
	key := shard.Key{App: p.App, Name: p.Channel}
	w := s.workerFor(key)
	subs := 0
	if ch := s.hub.Lookup(key); ch != nil {
		subs = ch.Len()
	}
	s.pending.Add(1)
	for {
		room := w.roomSignal()
		if w.push(key, p, subs) {
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
