package delivery

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/shard"
)

// The engine's own seam, implemented for its tests: a subscriber that
// records what it is written, events that are their own messages, and a
// sink that can hold a write at a gate.

// sub is a test subscriber.
type sub struct {
	id   int
	dead atomic.Bool

	mu      sync.Mutex
	writes  []int    // frames per Write
	got     []string // frames, in order
	holding bool     // a recovery in progress: hold every frame
	held    []string
}

func (s *sub) frames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func (s *sub) writeSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.writes...)
}

// msg is a test event, encoded when it is made: "channel:seq".
type msg struct {
	b    []byte
	from *sub // its publisher, which does not get it
}

func newMsg(channel string, seq, pad int) *msg {
	b := []byte(channel + ":" + strconv.Itoa(seq))
	if pad > 0 {
		b = append(b, strings.Repeat(".", pad)...)
	}
	return &msg{b: b}
}

func (m *msg) Frame(s *sub) []byte {
	if s == m.from {
		return nil
	}
	return m.b
}

func (m *msg) Hold(s *sub, b []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holding {
		s.held = append(s.held, string(b))
	}
	return s.holding
}

// sink records writes when record is set, else only counts them.
type sink struct {
	record bool
	// gate, when not nil, holds each Write to channel gateOn until it is
	// closed; entered hears of each write that waits.
	gate    chan struct{}
	gateOn  string
	entered chan string

	mu  sync.Mutex
	log []string // the channel of each Write, in order

	frames, bytes, batches atomic.Int64
}

func (k *sink) Encode(_ shard.Key, evs []*msg, dst []Message[*sub]) []Message[*sub] {
	for _, m := range evs {
		dst = append(dst, m)
	}
	return dst
}

func (k *sink) Live(s *sub) bool { return !s.dead.Load() }

func (k *sink) Write(s *sub, frames [][]byte) bool {
	if k.gate != nil && channelOf(frames[0]) == k.gateOn {
		select {
		case <-k.gate:
		default:
			k.entered <- k.gateOn
			<-k.gate
		}
	}
	if !k.record {
		return true
	}
	k.mu.Lock()
	k.log = append(k.log, channelOf(frames[0]))
	k.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, len(frames))
	for _, f := range frames {
		s.got = append(s.got, string(f))
	}
	return true
}

func (k *sink) Delivered(_ shard.Key, _ []*msg, frames, bytes int, _ time.Duration) {
	k.frames.Add(int64(frames))
	k.bytes.Add(int64(bytes))
	k.batches.Add(1)
}

func (k *sink) writeLog() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.log...)
}

func channelOf(frame []byte) string {
	s := string(frame)
	return s[:strings.IndexByte(s, ':')]
}

// gated is a recording sink whose writes to channel wait at a gate;
// testEngine opens it when the test ends, before the engine closes.
func gated(channel string) *sink {
	return &sink{record: true, gate: make(chan struct{}), gateOn: channel, entered: make(chan string, 1)}
}

// testEngine is an engine over a fresh hub, closed when the test ends;
// it is not started.
func testEngine(t testing.TB, k *sink, o Options) (*Engine[*sub, *msg], *shard.Hub[*sub]) {
	hub := shard.New[*sub]()
	e := New[*sub, *msg](hub, k, o)
	t.Cleanup(e.Close)
	if k.gate != nil { // opened before Close waits for a held worker
		t.Cleanup(func() {
			select {
			case <-k.gate:
			default:
				close(k.gate)
			}
		})
	}
	return e, hub
}

// subscribe puts n new subscribers on channel and returns them.
func subscribe(hub *shard.Hub[*sub], channel string, n int) []*sub {
	subs := make([]*sub, n)
	for i := range subs {
		subs[i] = &sub{id: i}
		hub.Subscribe(key(channel), subs[i])
	}
	return subs
}

func key(channel string) shard.Key { return shard.Key{App: "app", Name: channel} }

// doneCtx is a done context: offer only if there is room now.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// offer queues m on channel, waiting for room for at most ten seconds.
func offer(t testing.TB, e *Engine[*sub, *msg], channel string, m *msg) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Offer(ctx, key(channel), m, len(m.b)); err != nil {
		t.Fatalf("offer to %s: %v", channel, err)
	}
}

// written waits until every offered event is written.
func written(t testing.TB, e *Engine[*sub, *msg]) {
	t.Helper()
	if !e.Wait(time.Now().Add(20 * time.Second)) {
		t.Fatalf("%d events still pending after 20s", e.Pending())
	}
}

// eventually waits up to ten seconds for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
