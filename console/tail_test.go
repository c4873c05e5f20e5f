package console

import (
	"math"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/pusher"
)

// tapSetter records what the feed installs on the backend.
type tapSetter struct{ tap pusher.Tap }

func (s *tapSetter) SetTap(t pusher.Tap) { s.tap = t }

// TestFeedInstalledOnlyWhileWatched: the tap is on the backend from the
// first watcher to the last, never otherwise (an unwatched node pays one
// nil check per batch).
func TestFeedInstalledOnlyWhileWatched(t *testing.T) {
	b := &tapSetter{}
	f := newFeed(b, 100, time.Now)
	if b.tap != nil || f.Watching() {
		t.Fatal("tap installed before anyone watched")
	}
	w1 := f.watch("app", "a", false)
	w2 := f.watch("app", "", true)
	if b.tap != f || !f.Watching() {
		t.Fatal("tap not installed while watched")
	}
	f.unwatch(w1)
	if b.tap != f {
		t.Fatal("tap removed while a watcher is left")
	}
	f.unwatch(w2)
	if b.tap != nil || f.Watching() {
		t.Fatal("tap left installed after the last watcher went")
	}
	for range maxWatchers {
		if f.watch("app", "c", false) == nil {
			t.Fatal("refused under the bound")
		}
	}
	if f.watch("app", "c", false) != nil {
		t.Fatal("watchers past the bound")
	}
}

// TestFeedSamplesAndDrops: over the rate events are sampled out, with the
// buffer full they are dropped; both counted, and the caller never waits.
func TestFeedSamplesAndDrops(t *testing.T) {
	f := newFeed(&tapSetter{}, 5, time.Now)
	w := f.watch("app", "ch", false)
	p := broker.Publication{App: "app", Channel: "ch", Event: "e", Data: `"x"`}
	for range 12 {
		f.Delivered(&p)
	}
	other := broker.Publication{App: "app", Channel: "other", Event: "e"}
	f.Delivered(&other)
	if got := len(w.items); got != 5 {
		t.Fatalf("forwarded %d, want the rate, 5", got)
	}
	if got := w.sampled.Load(); got != 7 {
		t.Fatalf("sampled out %d, want 7", got)
	}

	f.tick() // a new window: the rate allows 5 more
	for range 3 {
		f.Delivered(&p)
	}
	if got := len(w.items); got != 8 {
		t.Fatalf("forwarded %d after the next tick, want 8", got)
	}

	f2 := newFeed(&tapSetter{}, 1_000_000, time.Now)
	w2 := f2.watch("app", "ch", false)
	for range tailBuffer + 44 {
		f2.Delivered(&p)
	}
	if len(w2.items) != tailBuffer || w2.dropped.Load() != 44 {
		t.Fatalf("kept %d dropped %d, want %d and 44", len(w2.items), w2.dropped.Load(), tailBuffer)
	}
}

// TestFeedLogFiltersByApp: the connection log of one app shows only it.
func TestFeedLogFiltersByApp(t *testing.T) {
	f := newFeed(&tapSetter{}, 100, time.Now)
	w := f.watch("a1", "", true)
	f.Conn(pusher.ConnEvent{Kind: pusher.ConnEventOpened, App: "a2"})
	f.Conn(pusher.ConnEvent{Kind: pusher.ConnEventClosed, App: "a1", Code: 4009, By: "server", Cause: "terminated"})
	f.Webhook(pusher.WebhookEvent{Name: "channel_vacated", Channel: "c"}, "a1")
	if len(w.items) != 2 {
		t.Fatalf("got %d items, want 2", len(w.items))
	}
	if it := <-w.items; it.Kind != "closed" || it.Code != 4009 || it.Cause != "terminated" {
		t.Fatalf("first item %+v", it)
	}
	if it := <-w.items; it.Kind != "webhook" || it.Event != "channel_vacated" {
		t.Fatalf("second item %+v", it)
	}
}

func TestClip(t *testing.T) {
	long := string(make([]byte, maxTailData-1)) + "é" + "tail"
	got, cut := clip(long)
	if !cut || len(got) != maxTailData-1 {
		t.Fatalf("clip kept %d bytes (cut %v), want %d: not inside a rune", len(got), cut, maxTailData-1)
	}
	if got, cut := clip("short"); cut || got != "short" {
		t.Fatal("short data changed")
	}
}

// TestQuantile: percentiles of the observations between two readings of
// a cumulative histogram, interpolated in the bucket.
func TestQuantile(t *testing.T) {
	prev := []bucket{{0.001, 10}, {0.002, 10}, {0.004, 10}, {math.Inf(1), 10}}
	cur := []bucket{{0.001, 60}, {0.002, 100}, {0.004, 110}, {math.Inf(1), 110}}
	// 100 new: 50 under 1 ms, 40 in (1, 2], 10 in (2, 4]
	for _, c := range []struct{ q, want float64 }{{0.5, 0.001}, {0.7, 0.0015}, {0.95, 0.003}} {
		if got := quantile(c.q, prev, cur); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	if !math.IsNaN(quantile(0.5, cur, cur)) {
		t.Error("no observations must give NaN")
	}
	over := []bucket{{0.001, 0}, {math.Inf(1), 5}}
	if got := quantile(0.99, nil, over); got != 0.001 {
		t.Errorf("all over the last bound: %v, want that bound", got)
	}
}

// BenchmarkFeedDelivered is the tail's cost to a delivery worker per
// event of a watched channel: past the rate each event is counted as
// sampled out; under it, handed to a stream that keeps up (drained
// here). Unwatched, the worker only finds the tap nil.
func BenchmarkFeedDelivered(b *testing.B) {
	p := broker.Publication{App: "app", Channel: "ch", Event: "e", Data: `"` + string(make([]byte, 100)) + `"`}
	for _, c := range []struct {
		name string
		rate int
	}{{"sampled", 200}, {"forwarded", 1 << 30}} {
		b.Run(c.name, func(b *testing.B) {
			f := newFeed(&tapSetter{}, c.rate, time.Now)
			w := f.watch("app", "ch", true)
			done := make(chan struct{})
			go func() {
				for {
					select {
					case <-w.items:
					case <-done:
						return
					}
				}
			}()
			defer close(done)
			b.ReportAllocs()
			for b.Loop() {
				f.Delivered(&p)
			}
		})
	}
}
