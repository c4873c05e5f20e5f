package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestPublishersShareOneSchedule: 16 publishers at 40 events/s in total
// send one event every 25 ms, not 16 at once every 400 ms (the burst
// that made the harness measure its own backlog at low rates).
func TestPublishersShareOneSchedule(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
	}))
	defer srv.Close()
	o := &Options{APIURL: srv.URL, AppID: "app-id", AppKey: "app-key", AppSecret: "app-secret",
		Rate: 40, Publishers: 16, Size: 100}
	p := newPublisher(o, []int{1})
	p.run(context.Background(), 300*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(at) < 4 {
		t.Fatalf("%d publishes in 300 ms at 40/s", len(at))
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	// The first four are due at 0, 25, 50 and 75 ms: a burst puts them
	// within a few ms of each other.
	if span := at[3].Sub(at[0]); span < 50*time.Millisecond {
		t.Fatalf("the first 4 publishes came within %v; want them spaced 25 ms apart", span)
	}
}

// TestBackToBackPublishersStopAtTheCount: unpaced publishers send their
// next publish as soon as one is answered and stop, all together, after
// MaxPublishes, long before the duration (the rate would allow one).
func TestBackToBackPublishersStopAtTheCount(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got++
		mu.Unlock()
	}))
	defer srv.Close()
	o := &Options{APIURL: srv.URL, AppID: "app-id", AppKey: "app-key", AppSecret: "app-secret",
		Rate: 0.1, Publishers: 4, Size: 100, BackToBack: true, MaxPublishes: 200}
	p := newPublisher(o, []int{1})
	start := time.Now()
	p.run(context.Background(), time.Minute)
	if got != 200 || p.ok.Load() != 200 {
		t.Fatalf("server saw %d publishes, %d answered 200; want 200", got, p.ok.Load())
	}
	t.Logf("200 publishes back to back in %v", time.Since(start).Round(time.Millisecond))
}
