package broker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the single-node broker: a publication is delivered to the
// local handler at once. Channels that the handler's HistoryPolicy names
// keep their last events in process (see History). It is a Directory
// through Local, over its Handler's tables when the Handler is a Node.
type Memory struct {
	Local
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
// expired streams until Close. When h is a Node, the Directory answers
// from it.
func (m *Memory) Start(h Handler) error {
	m.h = h
	m.Local.Node, _ = h.(Node)
	if p, ok := h.(HistoryPolicy); ok {
		m.policy = p
		m.streams = map[streamKey]*stream{}
		m.stop = make(chan struct{})
	}
	return nil
}

// Publish implements Broker. When the handler is an Offerer, each
// publication waits for room at most until ctx is done; the first one
// refused ends the call with its error (ErrBusy), and those before it
// were accepted. An event of a channel with history gets its position,
// is handed over and only then kept, all under the stream's lock, so
// offsets and delivery agree in order and a refused event is not kept.
func (m *Memory) Publish(ctx context.Context, ps ...Publication) error {
	if m.closed.Load() {
		return ErrClosed
	}
	o, _ := m.h.(Offerer)
	for i := range ps {
		var err error
		if spec, ok := m.historyFor(&ps[i]); ok {
			err = m.publishKept(ctx, o, &ps[i], spec)
		} else {
			err = m.handOver(ctx, o, ps[i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *Memory) historyFor(p *Publication) (HistorySpec, bool) {
	if m.policy == nil {
		return HistorySpec{}, false
	}
	return m.policy.HistoryFor(p.App, p.Channel)
}

// handOver gives p to the handler: through o when it offers, else at once.
func (m *Memory) handOver(ctx context.Context, o Offerer, p Publication) error {
	if o == nil {
		m.h.Deliver(p)
		return nil
	}
	return o.Offer(ctx, p)
}

func (m *Memory) publishKept(ctx context.Context, o Offerer, p *Publication, spec HistorySpec) error {
	now := m.now().UnixNano()
	st := m.stream(p.App, p.Channel, spec, now)
	defer st.mu.Unlock()
	p.Position = st.next()
	if err := m.handOver(ctx, o, *p); err != nil {
		return err
	}
	st.append(p, now, spec.TTL)
	return nil
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

// ErrBusy is returned when the receiving node has no room for a
// publication now (it is overloaded); retry later.
const ErrBusy = Error("broker: busy")

// ErrUnavailable is returned while the shared layer (Redis) is down.
const ErrUnavailable = Error("broker: unavailable")

// ErrNoHistory is returned by ReadHistory when the broker was started
// without a HistoryPolicy.
const ErrNoHistory = Error("broker: no history kept")
