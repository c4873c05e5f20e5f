package redis_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// gateHandler is an Offerer that has no room for the channels it holds
// shut; what it takes goes to got, drops are counted.
type gateHandler struct {
	mu      sync.Mutex
	shut    map[string]bool
	got     chan broker.Publication
	dropped atomic.Int64
}

func (h *gateHandler) Deliver(p broker.Publication) { h.got <- p }
func (h *gateHandler) TerminateUser(string, string) {}
func (h *gateHandler) Dropped(broker.Publication)   { h.dropped.Add(1) }
func (h *gateHandler) Offer(_ context.Context, p broker.Publication) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut[p.Channel] {
		return broker.ErrBusy
	}
	h.got <- p
	return nil
}
func (h *gateHandler) set(channel string, shut bool) {
	h.mu.Lock()
	h.shut[channel] = shut
	h.mu.Unlock()
}

// TestReaderBacklogKeepsOrderAndOtherChannelsMoving: a handler with no
// room for one channel does not hold up another; the refused channel's
// publications arrive later, in order; past the backlog's bound they are
// dropped and reported, never waited for.
func TestReaderBacklogKeepsOrderAndOtherChannelsMoving(t *testing.T) {
	srv := startRedis(t)
	b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bl"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := &gateHandler{shut: map[string]bool{"busy": true}, got: make(chan broker.Publication, 8192)}
	if err := b.Start(h); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"busy", "free"} {
		b.Subscribe("app", ch)
		done := make(chan struct{})
		b.AwaitListening("app", ch, func() { close(done) })
		<-done
	}
	pub := func(ch string, i int) {
		t.Helper()
		if err := b.Publish(context.Background(), broker.Publication{App: "app", Channel: ch, Event: "e", Data: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	next := func() broker.Publication {
		t.Helper()
		select {
		case p := <-h.got:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("nothing delivered within 10 s")
		}
		return broker.Publication{}
	}
	const queued = 5000 // over the backlog's 4,096
	for i := range queued {
		pub("busy", i)
	}
	pub("free", 0)
	if p := next(); p.Channel != "free" {
		t.Fatalf("got %s/%s first, want the free channel's event", p.Channel, p.Data)
	}
	// Every one of the busy channel's publications is either kept or
	// dropped; once the free one came through after them, the reader has
	// handed over all of them.
	kept := queued - int(h.dropped.Load())
	if kept <= 0 || kept > 4096 {
		t.Fatalf("%d kept, %d dropped: want the backlog's bound", kept, h.dropped.Load())
	}
	h.set("busy", false)
	for i := range kept {
		if p := next(); p.Channel != "busy" || p.Data != fmt.Sprint(i) {
			t.Fatalf("event %d: got %s/%s, want busy/%d", i, p.Channel, p.Data, i)
		}
	}
}
