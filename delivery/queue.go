package delivery

import (
	"sync"

	"github.com/fanout/fanout/shard"
)

// Queue bounds. A channel holds at most laneLimit queued events, and
// fewer when it is big: at most laneWork deliveries (events ×
// subscribers, at least two events), so that what is queued is always
// written out within a bounded time. All channels together hold at most
// queueLimit events.
//
// laneWork is about three seconds of writing at the rate two cores
// reach: with a quarter of it, a burst of ten publishes to an 18,000
// subscriber channel already drew 503s although the node kept up (see
// BENCHMARKS.md, "One big channel").
//
// A worker takes up to batchLimit events of one channel at a time, at
// most batchBytes of them.
const (
	laneLimit  = 64
	laneWork   = 1 << 19
	queueLimit = 4096
	batchLimit = 64
	batchBytes = 64 << 10
)

// LaneRoom is how many events a channel of subs local subscribers may
// queue: laneLimit (64), or fewer for a big channel (2 at the least).
func LaneRoom(subs int) int {
	return min(laneLimit, max(2, laneWork/max(subs, 1)))
}

// item is one queued event and its size in bytes.
type item[E any] struct {
	ev   E
	size int
}

// lane is one channel's queued events.
type lane[E any] struct {
	key   shard.Key
	items []item[E]
	busy  bool // a worker is writing a batch of it
}

// queues are the channels with queued events and the line of those that
// wait for a worker.
type queues[E any] struct {
	mu     sync.Mutex
	lanes  map[shard.Key]*lane[E]
	ready  []*lane[E] // channels with events and no worker, round robin
	queued int
	wake   chan struct{} // a worker may find something in ready
	room   chan struct{} // closed (and replaced) when events are taken
}

// newQueues returns empty queues for workers delivery workers.
func newQueues[E any](workers int) *queues[E] {
	return &queues[E]{lanes: map[shard.Key]*lane[E]{}, wake: make(chan struct{}, workers),
		room: make(chan struct{})}
}

// push queues ev if its channel (of subs subscribers) and the engine have
// room.
func (q *queues[E]) push(key shard.Key, ev E, size, subs int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.lanes[key]
	if q.queued >= queueLimit || (l != nil && len(l.items) >= LaneRoom(subs)) {
		return false
	}
	if l == nil {
		l = &lane[E]{key: key}
		q.lanes[key] = l
	}
	if len(l.items) == 0 && !l.busy {
		q.readyLocked(l)
	}
	l.items = append(l.items, item[E]{ev: ev, size: size})
	q.queued++
	return true
}

// readyLocked puts l in line and wakes a worker.
func (q *queues[E]) readyLocked(l *lane[E]) {
	q.ready = append(q.ready, l)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take gives the next channel in line to the calling worker, with its
// next batch appended to buf[:0] (nil when no channel waits).
func (q *queues[E]) take(buf []E) (*lane[E], []E) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ready) == 0 {
		return nil, nil
	}
	l := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	n, size := 1, l.items[0].size
	for n < min(len(l.items), batchLimit) && size+l.items[n].size <= batchBytes {
		size += l.items[n].size
		n++
	}
	buf = buf[:0]
	for i := range n {
		buf = append(buf, l.items[i].ev)
	}
	clear(l.items[:n])
	if n == len(l.items) {
		l.items = l.items[:0] // keep the room for the channel's next events
	} else {
		l.items = l.items[n:]
	}
	l.busy = true
	q.queued -= n
	close(q.room)
	q.room = make(chan struct{})
	return l, buf
}

// done ends a worker's batch of l: l goes to the back of the line if it
// has more.
func (q *queues[E]) done(l *lane[E]) {
	q.mu.Lock()
	defer q.mu.Unlock()
	l.busy = false
	if len(l.items) > 0 {
		q.readyLocked(l)
	} else {
		delete(q.lanes, l.key)
	}
}

// roomSignal is closed when a worker next takes events.
func (q *queues[E]) roomSignal() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.room
}
