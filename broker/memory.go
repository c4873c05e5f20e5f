package broker

import (
	"context"
	"sync/atomic"
)

// Memory is the single-node broker: a publication is delivered to the
// local handler at once.
type Memory struct {
	h      Handler
	closed atomic.Bool
}

// NewMemory returns a single-node broker.
func NewMemory() *Memory { return &Memory{} }

// Start implements Broker.
func (m *Memory) Start(h Handler) error { m.h = h; return nil }

// Publish implements Broker. When the handler is an Offerer, each
// publication waits for room at most until ctx is done; the first one
// refused ends the call with its error (ErrBusy), and those before it
// were accepted.
func (m *Memory) Publish(ctx context.Context, ps ...Publication) error {
	if m.closed.Load() {
		return ErrClosed
	}
	o, offers := m.h.(Offerer)
	for _, p := range ps {
		if !offers {
			m.h.Deliver(p)
			continue
		}
		if err := o.Offer(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe implements Broker; a single node needs no interest tracking.
func (m *Memory) Subscribe(app, channel string) {}

// Unsubscribe implements Broker.
func (m *Memory) Unsubscribe(app, channel string) {}

// TerminateUser implements Broker.
func (m *Memory) TerminateUser(_ context.Context, app, userID string) error {
	if m.closed.Load() {
		return ErrClosed
	}
	m.h.TerminateUser(app, userID)
	return nil
}

// Ready implements Broker.
func (m *Memory) Ready() error {
	if m.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Close implements Broker.
func (m *Memory) Close() error { m.closed.Store(true); return nil }

// Error is the broker's error kind.
type Error string

func (e Error) Error() string { return string(e) }

// ErrClosed is returned after Close.
const ErrClosed = Error("broker: closed")

// ErrBusy is returned when the receiving node has no room for a
// publication now (it is overloaded); retry later.
const ErrBusy = Error("broker: busy")

// ErrUnavailable is returned while the shared layer (Redis) is down.
const ErrUnavailable = Error("broker: unavailable")
