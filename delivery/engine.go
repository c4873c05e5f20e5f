package delivery

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/shard"
)

// Error is the engine's error kind.
type Error string

func (e Error) Error() string { return string(e) }

// ErrFull refuses an event the queues have no room for, now or within
// the wait Offer's context allowed: the publisher may retry later.
const ErrFull = Error("delivery: queue full")

// ErrClosed refuses an event offered after Close.
const ErrClosed = Error("delivery: closed")

// Message is one event encoded for delivery, shared by every recipient
// of its batch. Its methods are called concurrently for different
// subscribers.
type Message[S any] interface {
	// Frame returns the bytes of the event for s (its transport's
	// encoding), or nil when s is not to get it (s published it).
	Frame(s S) []byte
	// Hold is the hook of a recovery in progress: it reports whether b,
	// the bytes Frame returned for s, must not be written now, because s
	// is replaying the channel's history and writes b after the replay
	// (Hold may keep b), or the replay already carried it.
	Hold(s S, b []byte) bool
}

// Sink is the protocol side of an Engine: it encodes events and writes
// to subscribers. See the package documentation for the goroutines its
// methods run on.
type Sink[S comparable, E any] interface {
	// Encode appends to dst one Message per event, in order; events are
	// one batch of channel key. events and the messages stay valid until
	// the batch is written (Delivered is called or the channel turns out
	// to have no subscriber), so a Message may point into events.
	Encode(key shard.Key, events []E, dst []Message[S]) []Message[S]
	// Live reports whether s still takes events (false once it closes).
	Live(s S) bool
	// Write writes frames to s in one write, without blocking beyond s's
	// write lock, and reports whether s took them. frames is reused once
	// Write returns.
	Write(s S, frames [][]byte) bool
	// Delivered reports one batch of channel key written, after the last
	// subscriber's Write: its events (valid until Delivered returns),
	// the frames and bytes taken by subscribers, and how long the fan-out
	// took.
	Delivered(key shard.Key, events []E, frames, bytes int, took time.Duration)
}

// Options configure an Engine; the zero value of each field is the
// default it names.
type Options struct {
	// Workers is the number of delivery workers; 0 means
	// 2 × GOMAXPROCS.
	Workers int
	// Helpers is the number of fan-out helpers for big channels; 0 means
	// GOMAXPROCS.
	Helpers int
}

// Engine queues events of type E per channel and writes them to the
// channel's subscribers of type S (the keys of a shard.Hub[S]).
type Engine[S comparable, E any] struct {
	hub     *shard.Hub[S]
	sink    Sink[S, E]
	opts    Options
	q       *queues[E]
	pending atomic.Int64 // events offered and not yet written
	working atomic.Int32 // workers writing a batch
	tasks   chan task[S] // unbuffered: a part goes only to an idle helper
	stop    chan struct{}
	closing sync.Once
	start   sync.Once
	wg      sync.WaitGroup
}

// New returns an engine that delivers to the subscribers of hub through
// sink; Start runs it.
func New[S comparable, E any](hub *shard.Hub[S], sink Sink[S, E], o Options) *Engine[S, E] {
	if o.Workers <= 0 {
		o.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if o.Helpers <= 0 {
		o.Helpers = runtime.GOMAXPROCS(0)
	}
	return &Engine[S, E]{hub: hub, sink: sink, opts: o, q: newQueues[E](o.Workers),
		tasks: make(chan task[S]), stop: make(chan struct{})}
}

// Start runs the delivery workers and the fan-out helpers; later calls
// do nothing.
func (e *Engine[S, E]) Start() {
	e.start.Do(func() {
		for range e.opts.Workers {
			e.wg.Add(1)
			go func() { defer e.wg.Done(); e.work() }()
		}
		for range e.opts.Helpers {
			e.wg.Add(1)
			go func() { defer e.wg.Done(); e.help() }()
		}
	})
}

// Close stops the workers and helpers once their current batch is
// written and waits for them. Events still queued are not delivered.
func (e *Engine[S, E]) Close() {
	e.closing.Do(func() { close(e.stop) })
	e.wg.Wait()
}

// Offer queues ev, an event of size bytes for channel key, if the
// channel (by its subscribers in the hub now) and the engine have room.
// Without room it waits for some until ctx is done (a done ctx: only if
// there is room now), then returns ErrFull; after Close it returns
// ErrClosed. It waits for nothing but room, which the workers free
// without waiting for any Offer.
func (e *Engine[S, E]) Offer(ctx context.Context, key shard.Key, ev E, size int) error {
	select {
	case <-e.stop:
		return ErrClosed
	default:
	}
	subs := 0
	if ch := e.hub.Lookup(key); ch != nil {
		subs = ch.Len()
	}
	e.pending.Add(1)
	for {
		room := e.q.roomSignal()
		if e.q.push(key, ev, size, subs) {
			return nil
		}
		if ctx.Err() != nil {
			e.pending.Add(-1)
			return ErrFull
		}
		select {
		case <-room:
		case <-ctx.Done():
		case <-e.stop:
			e.pending.Add(-1)
			return ErrClosed
		}
	}
}

// Pending returns the number of events offered and not yet written to
// their subscribers (queued, being written, or waiting for room).
func (e *Engine[S, E]) Pending() int { return int(e.pending.Load()) }

// Wait waits until every event offered has been written (Pending is 0)
// or until deadline, polling every few milliseconds; it reports whether
// everything was written.
func (e *Engine[S, E]) Wait(deadline time.Time) bool {
	for e.pending.Load() > 0 {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Deliver writes events, a batch of channel key, to its subscribers on
// the calling goroutine, past the queues (with the helpers' help if the
// engine runs). It is the fan-out alone, for benchmarks.
func (e *Engine[S, E]) Deliver(key shard.Key, events []E) {
	var b batch[S]
	e.deliverBatch(&b, key, events)
}

// work is a delivery worker: it serves the line of channels until Close.
func (e *Engine[S, E]) work() {
	var buf []E
	b := batch[S]{gather: e.gather()}
	defer closeGather(b.gather)
	for {
		select {
		case <-e.stop:
			return
		default:
		}
		l, evs := e.q.take(buf)
		if l == nil {
			select {
			case <-e.q.wake:
				continue
			case <-e.stop:
				return
			}
		}
		e.working.Add(1)
		e.deliverBatch(&b, l.key, evs)
		e.q.done(l)
		clear(evs) // hold no events between batches
		buf = evs[:0]
		e.pending.Add(-int64(len(evs)))
		e.working.Add(-1)
	}
}
