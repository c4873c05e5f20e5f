package broker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the single-node broker: a publication is delivered to the
// local handler at once. Channels that the handler's HistoryPolicy names
// keep their last events in process (see History).
type Memory struct {
	h      Handler
	policy HistoryPolicy
	closed atomic.Bool

	mu      sync.Mutex
	streams map[streamKey]*stream
	stop    chan struct{}
	sweeper sync.Once // started with the first stream
	now     func() time.Time
}

type streamKey struct{ app, channel string }

// sweepEvery is how often Memory frees the streams whose TTL passed.
const sweepEvery = time.Second

// NewMemory returns a single-node broker.
func NewMemory() *Memory { return &Memory{now: time.Now} }

// Start implements Broker. When h is a HistoryPolicy, history is kept for
// the channels it names; from the first kept event on, a goroutine frees
// expired streams until Close.
func (m *Memory) Start(h Handler) error {
	m.h = h
	if p, ok := h.(HistoryPolicy); ok {
		m.policy = p
		m.streams = map[streamKey]*stream{}
		m.stop = make(chan struct{})
	}
	return nil
}

// Publish implements Broker. An event of a channel with history is
// appended to its stream and handed to the handler under the stream's
// lock, so offsets and delivery agree in order.
func (m *Memory) Publish(_ context.Context, ps ...Publication) error {
	if m.closed.Load() {
		return ErrClosed
	}
	for i := range ps {
		if m.policy != nil {
			if spec, ok := m.policy.HistoryFor(ps[i].App, ps[i].Channel); ok {
				m.publishKept(&ps[i], spec)
				continue
			}
		}
		m.h.Deliver(ps[i])
	}
	return nil
}

func (m *Memory) publishKept(p *Publication, spec HistorySpec) {
	now := m.now().UnixNano()
	st := m.stream(p.App, p.Channel, spec, now)
	st.append(p, now, spec.TTL)
	m.h.Deliver(*p)
	st.mu.Unlock()
}

// stream returns the channel's live stream, locked, created (or started
// afresh when its TTL passed) as needed.
func (m *Memory) stream(app, channel string, spec HistorySpec, now int64) *stream {
	k := streamKey{app, channel}
	for {
		m.mu.Lock()
		st := m.streams[k]
		if st == nil {
			st = newStream(spec.Size)
			st.expires = now + int64(spec.TTL)
			m.streams[k] = st
			m.sweeper.Do(func() { go m.sweep() })
		}
		m.mu.Unlock()
		st.mu.Lock()
		if !st.freed {
			return m.renew(st, spec, now)
		}
		st.mu.Unlock() // swept meanwhile: take the map's new one
	}
}

// renew starts a locked stream afresh when its TTL passed.
func (m *Memory) renew(st *stream, spec HistorySpec, now int64) *stream {
	if st.expired(now) {
		st.reset()
		st.expires = now + int64(spec.TTL)
	}
	return st
}

// ReadHistory implements History.
func (m *Memory) ReadHistory(_ context.Context, app, channel string, spec HistorySpec, q HistoryQuery) (HistoryPage, error) {
	if m.closed.Load() {
		return HistoryPage{}, ErrClosed
	}
	if m.streams == nil {
		return HistoryPage{}, ErrNoHistory
	}
	st := m.stream(app, channel, spec, m.now().UnixNano())
	defer st.mu.Unlock()
	return st.read(q), nil
}

// sweep frees streams whose TTL passed, every sweepEvery, until Close.
func (m *Memory) sweep() {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		now := m.now().UnixNano()
		m.mu.Lock()
		for k, st := range m.streams {
			if st.mu.TryLock() {
				if st.expired(now) {
					st.freed = true
					delete(m.streams, k)
				}
				st.mu.Unlock()
			}
		}
		m.mu.Unlock()
	}
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
func (m *Memory) Close() error {
	if !m.closed.Swap(true) && m.stop != nil {
		close(m.stop)
	}
	return nil
}

// Error is the broker's error kind.
type Error string

func (e Error) Error() string { return string(e) }

// ErrClosed is returned after Close.
const ErrClosed = Error("broker: closed")

// ErrUnavailable is returned while the shared layer (Redis) is down.
const ErrUnavailable = Error("broker: unavailable")

// ErrNoHistory is returned by ReadHistory when the broker was started
// without a HistoryPolicy.
const ErrNoHistory = Error("broker: no history kept")
