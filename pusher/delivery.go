package pusher

import (
	"context"
	"errors"
	"time"

	"github.com/fanout/fanout/broker"
	engine "github.com/fanout/fanout/delivery"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
)

// The delivery engine (package delivery, imported as engine here, since
// a delivery in this package is one encoded event) queues published
// events per channel, serves the channels round robin from its workers
// and writes batches to subscribers; this file hands it events and the
// engine's Sink (publish.go) encodes and writes them.

// ErrBusy refuses an event the delivery queues have no room for: the
// publisher may retry later (HTTP 503 with Retry-After, pusher:error 4100
// for a client event).
const ErrBusy = broker.ErrBusy

// newEngine builds s's delivery engine over its channel table.
func newEngine(s *Server) *engine.Engine[*conn, broker.Publication] {
	return engine.New[*conn, broker.Publication](s.hub, sink{s}, engine.Options{})
}

// startDelivery runs the delivery workers and the fan-out helpers.
func (s *Server) startDelivery() { s.engine.Start() }

// Offer queues p for delivery to this node's subscribers. It waits for
// room until ctx is done (a done ctx means: only if there is room now),
// then returns ErrBusy; after Close it returns broker.ErrClosed. It never
// waits for anything but room in the queues, which the delivery workers
// free without waiting for any publisher.
func (s *Server) Offer(ctx context.Context, p broker.Publication) error {
	if isWatchlist(p.Channel) {
		s.watchlistArrived(p)
		return nil
	}
	s.arrived(&p)
	err := s.engine.Offer(ctx, shard.Key{App: p.App, Name: p.Channel}, p, len(p.Data))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrClosed):
		return broker.ErrClosed
	}
	return ErrBusy
}

// Deliver implements broker.Handler for brokers that do not offer (see
// broker.Offerer): it waits at most deliverWait for room, then drops the
// event as Dropped does.
func (s *Server) Deliver(p broker.Publication) {
	ctx, cancel := context.WithTimeout(context.Background(), deliverWait)
	defer cancel()
	if err := s.Offer(ctx, p); err != nil && !errors.Is(err, broker.ErrClosed) {
		s.Dropped(p)
	}
}

// deliverWait bounds how long Deliver waits for room.
const deliverWait = time.Second

// waitDelivered waits until every queued event has been written to its
// subscribers' queues, or until the deadline.
func (s *Server) waitDelivered(deadline time.Time) { s.engine.Wait(deadline) }

// Dropped implements broker.DropHandler: a broker dropped p because this
// node had no room for it, after its publisher was told it was accepted.
// The drop is counted, and every local subscriber of p's channel is
// closed with 4100 (over capacity: pusher-js reconnects after a pause),
// so none of them goes on with a gap it cannot see; one that recovers
// on resubscribe (a channel with history) gets the event then. Any
// goroutine.
func (s *Server) Dropped(p broker.Publication) {
	s.opts.Metrics.Refused(RefusedDelivery)
	ch := s.hub.Lookup(shard.Key{App: p.App, Name: p.Channel})
	if ch == nil {
		return
	}
	for _, c := range ch.Snapshot(nil) {
		s.closeWith(c, CodeOverCapacity, "node overloaded, events dropped; reconnect", session.Overload, false)
	}
}
