package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestOrderPerChannelKept: publishers on several channels at once, one
// of them bigger than a fan-out chunk (so helpers write parts of it);
// every subscriber gets every event of its channel, in the order offered.
func TestOrderPerChannelKept(t *testing.T) {
	k := &sink{record: true}
	e, hub := testEngine(t, k, Options{})
	sizes := map[string]int{"a": 3, "b": 3, "c": 1, "big": chunk*2 + 50}
	events := map[string]int{"a": 400, "b": 400, "c": 400, "big": 120}
	subs := map[string][]*sub{}
	for ch, n := range sizes {
		subs[ch] = subscribe(hub, ch, n)
	}
	e.Start()
	var wg sync.WaitGroup
	for ch, n := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				offer(t, e, ch, newMsg(ch, i, 0))
			}
		}()
	}
	wg.Wait()
	written(t, e)
	for ch, ss := range subs {
		want := make([]string, events[ch])
		for i := range want {
			want[i] = ch + ":" + strconv.Itoa(i)
		}
		for _, s := range ss {
			if got := s.frames(); !slices.Equal(got, want) {
				t.Fatalf("subscriber %d of %s got %d events %v..., want %d in order", s.id, ch, len(got),
					got[:min(len(got), 5)], len(want))
			}
		}
	}
}

// TestBatchIsOneWritePerSubscriber: events queued before a worker runs
// reach each subscriber in one Write; the publisher is left out, a
// closed subscriber gets nothing, and a batch stops at batchBytes.
func TestBatchIsOneWritePerSubscriber(t *testing.T) {
	k := &sink{record: true}
	e, hub := testEngine(t, k, Options{})
	ss := subscribe(hub, "ch", 4)
	ss[3].dead.Store(true)
	for i := range 10 {
		m := newMsg("ch", i, 0)
		if i == 4 {
			m.from = ss[0]
		}
		offer(t, e, "ch", m)
	}
	big := batchBytes/2 - 100 // two fit in a batch beside the small ones, three do not
	for i := 10; i < 13; i++ {
		offer(t, e, "ch", newMsg("ch", i, big))
	}
	e.Start()
	written(t, e)
	for i, want := range [][]int{{11, 1}, {12, 1}, {12, 1}, nil} {
		if got := ss[i].writeSizes(); !slices.Equal(got, want) {
			t.Errorf("subscriber %d: writes of %v frames, want %v", i, got, want)
		}
	}
	if got := ss[0].frames(); slices.Contains(got, "ch:4") {
		t.Errorf("the publisher got its own event: %v", got)
	}
	if f, b := k.frames.Load(), k.batches.Load(); f != 3*13-1 || b != 2 {
		t.Errorf("Delivered counted %d frames in %d batches, want %d in 2", f, b, 3*13-1)
	}
}

// TestFloodedChannelDoesNotStarveOthers: with one worker, a flooded
// channel goes to the back of the line after each batch, so channels
// that queued behind its first batch are written before its second.
func TestFloodedChannelDoesNotStarveOthers(t *testing.T) {
	k := gated("flood")
	e, hub := testEngine(t, k, Options{Workers: 1})
	others := []string{"a", "b", "c", "d", "e"}
	for _, ch := range append([]string{"flood"}, others...) {
		subscribe(hub, ch, 1)
	}
	pad := batchBytes/2 + 1 // one event per batch
	for i := range LaneRoom(1) {
		offer(t, e, "flood", newMsg("flood", i, pad))
	}
	e.Start()
	if ch := <-k.entered; ch != "flood" { // the worker is writing flood's first batch
		t.Fatalf("first write to %s", ch)
	}
	for _, ch := range others {
		offer(t, e, ch, newMsg(ch, 0, 0))
	}
	close(k.gate)
	written(t, e)
	log := k.writeLog()
	want := append([]string{"flood"}, others...)
	if !slices.Equal(log[:len(want)], want) {
		t.Fatalf("writes in order %v..., want %v first", log[:len(want)+1], want)
	}
	if n := len(log); n != LaneRoom(1)+len(others) {
		t.Fatalf("%d writes, want %d", n, LaneRoom(1)+len(others))
	}
}

// TestFloodedChannelHoldsOneWorker: while a worker is stuck in a write
// of a flooded channel, the other workers leave that channel alone and
// deliver every other channel.
func TestFloodedChannelHoldsOneWorker(t *testing.T) {
	k := gated("flood")
	e, hub := testEngine(t, k, Options{Workers: 3})
	floodSub := subscribe(hub, "flood", 1)[0]
	var others []*sub
	for i := range 20 {
		others = append(others, subscribe(hub, fmt.Sprint("ch", i), 1)...)
	}
	e.Start()
	for i := range LaneRoom(1) {
		offer(t, e, "flood", newMsg("flood", i, 0))
	}
	if ch := <-k.entered; ch != "flood" {
		t.Fatalf("first write to %s", ch)
	}
	for i := range others {
		offer(t, e, fmt.Sprint("ch", i), newMsg(fmt.Sprint("ch", i), 0, 0))
	}
	eventually(t, "every other channel delivered", func() bool {
		for _, s := range others {
			if len(s.frames()) != 1 {
				return false
			}
		}
		return true
	})
	if n := len(floodSub.frames()); n != 0 {
		t.Fatalf("flood written %d frames while its first write was still held", n)
	}
}

// TestFullQueueRefuses: with no worker running, a channel takes
// LaneRoom(subscribers) events and refuses the next with ErrFull, at
// once with a done context and after the wait a live one allows; all
// channels together take queueLimit.
func TestFullQueueRefuses(t *testing.T) {
	e, hub := testEngine(t, &sink{}, Options{})
	subscribe(hub, "big", 1<<14)
	for ch, room := range map[string]int{"big": 32, "small": 64} {
		for i := range room {
			if err := e.Offer(doneCtx, key(ch), newMsg(ch, i, 0), 1); err != nil {
				t.Fatalf("%s: offer %d of %d: %v", ch, i, room, err)
			}
		}
		if err := e.Offer(doneCtx, key(ch), newMsg(ch, room, 0), 1); !errors.Is(err, ErrFull) {
			t.Fatalf("%s: offer past its room of %d: %v, want ErrFull", ch, room, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.Offer(ctx, key("small"), newMsg("small", 0, 0), 1); !errors.Is(err, ErrFull) {
		t.Fatalf("offer that waited: %v, want ErrFull", err)
	}
	if got := ErrFull.Error(); got != "delivery: queue full" {
		t.Errorf("ErrFull reads %q", got)
	}
	queued := 32 + 64
	for i := 0; queued < queueLimit; i++ {
		ch := fmt.Sprint("fill", i)
		for j := 0; j < laneLimit && queued < queueLimit; j++ {
			if err := e.Offer(doneCtx, key(ch), newMsg(ch, j, 0), 1); err != nil {
				t.Fatalf("offer %d of %d in all: %v", queued+1, queueLimit, err)
			}
			queued++
		}
	}
	if err := e.Offer(doneCtx, key("fresh"), newMsg("fresh", 0, 0), 1); !errors.Is(err, ErrFull) {
		t.Fatalf("offer past queueLimit to a fresh channel: %v, want ErrFull", err)
	}
	if n := e.Pending(); n != queueLimit {
		t.Fatalf("pending %d, want %d", n, queueLimit)
	}
	e.Close()
	if err := e.Offer(doneCtx, key("x"), newMsg("x", 0, 0), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("offer after Close: %v, want ErrClosed", err)
	}
}

// TestOfferWaitsForRoom: an offer to a full channel waits; the workers'
// taking events makes room and it is accepted.
func TestOfferWaitsForRoom(t *testing.T) {
	k := &sink{record: true}
	e, hub := testEngine(t, k, Options{})
	s := subscribe(hub, "ch", 1)[0]
	for i := range LaneRoom(1) {
		offer(t, e, "ch", newMsg("ch", i, 0))
	}
	done := make(chan error, 1)
	go func() {
		done <- e.Offer(context.Background(), key("ch"), newMsg("ch", LaneRoom(1), 0), 1)
	}()
	e.Start()
	if err := <-done; err != nil {
		t.Fatalf("waiting offer: %v", err)
	}
	written(t, e)
	if n := len(s.frames()); n != LaneRoom(1)+1 {
		t.Fatalf("%d events written, want %d", n, LaneRoom(1)+1)
	}
}

func TestLaneRoom(t *testing.T) {
	for subs, want := range map[int]int{0: 64, 1: 64, 8192: 64, 1 << 14: 32, 100000: 5, 1 << 20: 2, 1 << 30: 2} {
		if got := LaneRoom(subs); got != want {
			t.Errorf("LaneRoom(%d) = %d, want %d", subs, got, want)
		}
	}
}

// TestHoldKeepsFramesForRecovery: a subscriber whose recovery holds the
// channel's events is not written to; the hook keeps the frames, in
// order, and the subscriber is written to again once it stops holding.
func TestHoldKeepsFramesForRecovery(t *testing.T) {
	k := &sink{record: true}
	e, hub := testEngine(t, k, Options{})
	ss := subscribe(hub, "ch", 2)
	ss[1].holding = true
	e.Start()
	for i := range 3 {
		offer(t, e, "ch", newMsg("ch", i, 0))
	}
	written(t, e)
	ss[1].mu.Lock()
	held, got := slices.Clone(ss[1].held), slices.Clone(ss[1].got)
	ss[1].holding = false
	ss[1].mu.Unlock()
	if want := []string{"ch:0", "ch:1", "ch:2"}; !slices.Equal(held, want) || len(got) != 0 {
		t.Fatalf("recovering subscriber: held %v, written %v; want held %v, nothing written", held, got, want)
	}
	offer(t, e, "ch", newMsg("ch", 3, 0))
	written(t, e)
	if got := ss[1].frames(); !slices.Equal(got, []string{"ch:3"}) {
		t.Fatalf("after the recovery got %v, want [ch:3]", got)
	}
	if got := ss[0].frames(); len(got) != 4 {
		t.Fatalf("the other subscriber got %v, want all 4", got)
	}
}

// TestWorkersIdleAfterBurst: after a burst over many channels every
// event is written, the queues are empty, no worker is busy and the
// wake-ups are used up; the idle workers still answer the next event.
func TestWorkersIdleAfterBurst(t *testing.T) {
	k := &sink{record: true}
	e, hub := testEngine(t, k, Options{})
	for i := range 50 {
		subscribe(hub, fmt.Sprint("ch", i), 3)
	}
	e.Start()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				offer(t, e, fmt.Sprint("ch", i), newMsg(fmt.Sprint("ch", i), j, 0))
			}
		}()
	}
	wg.Wait()
	written(t, e)
	eventually(t, "workers idle", func() bool {
		e.q.mu.Lock()
		defer e.q.mu.Unlock()
		return e.working.Load() == 0 && len(e.q.wake) == 0 && len(e.q.lanes) == 0 &&
			len(e.q.ready) == 0 && e.q.queued == 0
	})
	before := k.batches.Load()
	if f := k.frames.Load(); f != 50*100*3 {
		t.Fatalf("%d frames written, want %d", f, 50*100*3)
	}
	offer(t, e, "ch0", newMsg("ch0", 100, 0))
	written(t, e)
	if b := k.batches.Load(); b != before+1 {
		t.Fatalf("%d batches after one more event, want %d", b, before+1)
	}
}

// TestCloseStopsWorkers: Close returns once workers and helpers are
// gone, with a channel still being fed.
func TestCloseStopsWorkers(t *testing.T) {
	e, hub := testEngine(t, &sink{}, Options{})
	subscribe(hub, "ch", chunk*3)
	e.Start()
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.Offer(context.Background(), key("ch"), newMsg("ch", i, 0), 1); errors.Is(err, ErrClosed) {
				return
			}
		}
	}()
	eventually(t, "deliveries under way", func() bool { return e.working.Load() > 0 })
	e.Close()
	close(stop)
	<-fed
}
