package webhook

import (
	"context"

	"github.com/fanout/fanout/auth"
	"sync"
	"sync/atomic"
)

// Sender queues, batches and posts one app's webhooks. Create it with New.
type Sender struct {
	o      Options
	filter map[string]bool // nil: deliver every event
	chans  []string        // Options.Channels as auth.MatchChannel's patterns; nil: every channel

	queue   chan Event
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when run returns
	ctx     context.Context
	cancel  context.CancelFunc
	closing atomic.Bool
	once    sync.Once

	dropped atomic.Uint64
}

// New starts a Sender for one app. Close it to stop its goroutine.
func New(o Options) *Sender {
	o = o.withDefaults()
	s := &Sender{
		o:     o,
		queue: make(chan Event, o.MaxQueue),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if len(o.Events) > 0 {
		s.filter = make(map[string]bool, len(o.Events))
		for _, name := range o.Events {
			s.filter[name] = true
		}
	}
	if o.Channels != "" {
		s.chans = []string{o.Channels}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if o.Store != nil {
		go s.runDurable()
	} else {
		go s.run()
	}
	return s
}

// Wants reports whether events named name are delivered; callers may use
// it to skip building an Event nobody wants.
func (s *Sender) Wants(name string) bool {
	return s.filter == nil || s.filter[name]
}

// Send queues e without blocking. It drops e, counting it, when the queue
// is full or the Sender is closing; it ignores events the filters
// (Options.Events, Options.Channels) exclude.
func (s *Sender) Send(e Event) {
	if !s.Wants(e.Name) || s.chans != nil && !auth.MatchChannel(s.chans, e.Channel) {
		return
	}
	if s.closing.Load() {
		s.drop()
		return
	}
	select {
	case s.queue <- e:
	default:
		s.drop()
	}
}

func (s *Sender) drop() {
	s.dropped.Add(1)
	if s.o.OnDrop != nil {
		s.o.OnDrop()
	}
}

// Dropped returns how many events were dropped so far.
func (s *Sender) Dropped() uint64 { return s.dropped.Load() }

// Queued returns how many events wait in the queue (not counting a batch
// being posted).
func (s *Sender) Queued() int { return len(s.queue) }

// Close stops accepting events, posts what is queued and stops the
// goroutine. When ctx ends first, requests and retry waits in progress are
// abandoned, undelivered events are counted as dropped, and ctx's error is
// returned once the goroutine has stopped.
func (s *Sender) Close(ctx context.Context) error {
	s.once.Do(func() {
		s.closing.Store(true)
		close(s.stop)
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}
