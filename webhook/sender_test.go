package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey    = "app-key"
	testSecret = "app-secret"
)

// request is what the receiver saw of one POST.
type request struct {
	payload Payload
	status  int
}

// receiver starts a real HTTP server; status picks the answer for the
// n-th request (from 0). Every request is verified and reported on the
// returned channel.
func receiver(t *testing.T, status func(n int) int) (string, <-chan request) {
	t.Helper()
	got := make(chan request, 100)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(testSecret))
		mac.Write(body)
		if want := hex.EncodeToString(mac.Sum(nil)); r.Header.Get("X-Pusher-Signature") != want {
			t.Errorf("signature %q, want %q", r.Header.Get("X-Pusher-Signature"), want)
		}
		if r.Header.Get("X-Pusher-Key") != testKey || r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			t.Errorf("bad request: %s key=%q type=%q", r.Method, r.Header.Get("X-Pusher-Key"), r.Header.Get("Content-Type"))
		}
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		code := status(int(n.Add(1) - 1))
		w.WriteHeader(code)
		got <- request{p, code}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func ok(int) int { return http.StatusOK }

func next(t *testing.T, ch <-chan request) request {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook request arrived")
		return request{}
	}
}

func closeSender(t *testing.T, s *Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBatchArrivesSigned(t *testing.T) {
	url, got := receiver(t, ok)
	var results atomic.Int32
	s := New(Options{URL: url, Key: testKey, Secret: testSecret, BatchMax: 3, BatchWait: time.Hour,
		OnResult: func(ok bool) {
			if ok {
				results.Add(1)
			}
		}})
	want := []Event{
		{Name: ChannelOccupied, Channel: "presence-room"},
		{Name: MemberAdded, Channel: "presence-room", UserID: "u1"},
		{Name: ClientEvent, Channel: "private-x", Event: "client-typing", Data: `{"a":1}`, SocketID: "1.2", UserID: "u1"},
	}
	before := time.Now().UnixMilli()
	for _, e := range want {
		s.Send(e)
	}
	r := next(t, got)
	if !reflect.DeepEqual(r.payload.Events, want) {
		t.Fatalf("events %+v, want %+v", r.payload.Events, want)
	}
	if r.payload.TimeMs < before {
		t.Fatalf("time_ms %d before the events were sent (%d)", r.payload.TimeMs, before)
	}
	closeSender(t, s)
	if results.Load() != 1 {
		t.Fatalf("OnResult(true) called %d times, want 1", results.Load())
	}
}

func TestRetryAfter500DeliversSameEvents(t *testing.T) {
	url, got := receiver(t, func(n int) int {
		if n == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	s := New(Options{URL: url, Key: testKey, Secret: testSecret, BatchMax: 2, BatchWait: time.Hour, Backoff: time.Millisecond})
	s.Send(Event{Name: ChannelOccupied, Channel: "a"})
	s.Send(Event{Name: ChannelVacated, Channel: "a"})
	first, second := next(t, got), next(t, got)
	if first.status != 500 || second.status != 200 {
		t.Fatalf("statuses %d, %d", first.status, second.status)
	}
	if !reflect.DeepEqual(first.payload.Events, second.payload.Events) || len(second.payload.Events) != 2 {
		t.Fatalf("retry carried %+v, first %+v", second.payload.Events, first.payload.Events)
	}
	closeSender(t, s)
}

func TestNoRetryOn4xx(t *testing.T) {
	url, got := receiver(t, func(int) int { return http.StatusForbidden })
	var failed atomic.Int32
	s := New(Options{URL: url, Key: testKey, Secret: testSecret, BatchMax: 1, Backoff: time.Millisecond,
		OnResult: func(ok bool) {
			if !ok {
				failed.Add(1)
			}
		}})
	s.Send(Event{Name: ChannelOccupied, Channel: "a"})
	closeSender(t, s)
	if n := len(got); n != 1 {
		t.Fatalf("%d requests for a 403, want 1", n)
	}
	if failed.Load() != 1 {
		t.Fatalf("OnResult(false) called %d times", failed.Load())
	}
}

func TestDeadEndpointBoundsQueue(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	var drops atomic.Int32
	const maxQueue = 10
	s := New(Options{URL: srv.URL, Key: testKey, Secret: testSecret, BatchMax: 1, MaxQueue: maxQueue,
		OnDrop: func() { drops.Add(1) }})
	s.Send(Event{Name: ChannelOccupied, Channel: "first"})
	<-entered // the first batch is stuck in flight
	for range 1000 {
		s.Send(Event{Name: ChannelOccupied, Channel: "c"})
	}
	if q := s.Queued(); q != maxQueue {
		t.Fatalf("queued %d, want %d", q, maxQueue)
	}
	if d := s.Dropped(); d != 1000-maxQueue || drops.Load() != int32(d) {
		t.Fatalf("dropped %d (OnDrop %d), want %d", d, drops.Load(), 1000-maxQueue)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // give up at once: nothing more can be delivered
	if err := s.Close(ctx); err != context.Canceled {
		t.Fatalf("Close: %v", err)
	}
	if d := s.Dropped(); d != 1001 {
		t.Fatalf("after Close dropped %d, want 1001 (queued and in-flight events abandoned)", d)
	}
	s.Send(Event{Name: ChannelOccupied, Channel: "late"})
	if s.Dropped() != 1002 {
		t.Fatal("event sent after Close was not counted as dropped")
	}
}

// A batch given up after its retries is not silently lost: each of its
// events counts as dropped, as a queue overflow does.
func TestGivenUpBatchCountsItsEventsDropped(t *testing.T) {
	url, got := receiver(t, func(int) int { return http.StatusInternalServerError })
	var drops, failed atomic.Int32
	s := New(Options{URL: url, Key: testKey, Secret: testSecret, MaxRetries: 1, Backoff: time.Millisecond,
		BatchWait: time.Hour, OnDrop: func() { drops.Add(1) },
		OnResult: func(ok bool) {
			if !ok {
				failed.Add(1)
			}
		}})
	for _, ch := range []string{"a", "b", "c"} {
		s.Send(Event{Name: ChannelOccupied, Channel: ch})
	}
	closeSender(t, s) // flushes the one batch: two attempts, both 500
	if n := len(got); n != 2 {
		t.Fatalf("%d requests, want 2 (first attempt and one retry)", n)
	}
	if s.Dropped() != 3 || drops.Load() != 3 || failed.Load() != 1 {
		t.Fatalf("dropped %d (OnDrop %d), failed batches %d; want 3 events dropped from 1 failed batch",
			s.Dropped(), drops.Load(), failed.Load())
	}
}

func TestFilterAndCloseFlush(t *testing.T) {
	url, got := receiver(t, ok)
	s := New(Options{URL: url, Key: testKey, Secret: testSecret, Events: []string{MemberAdded}, BatchWait: time.Hour})
	if s.Wants(ChannelOccupied) || !s.Wants(MemberAdded) {
		t.Fatal("Wants disagrees with the filter")
	}
	s.Send(Event{Name: ChannelOccupied, Channel: "presence-a"})
	s.Send(Event{Name: MemberAdded, Channel: "presence-a", UserID: "u"})
	s.Send(Event{Name: MemberRemoved, Channel: "presence-a", UserID: "u"})
	closeSender(t, s) // BatchWait is an hour: only Close can send the batch
	r := next(t, got)
	want := []Event{{Name: MemberAdded, Channel: "presence-a", UserID: "u"}}
	if !reflect.DeepEqual(r.payload.Events, want) {
		t.Fatalf("events %+v, want %+v", r.payload.Events, want)
	}
	if len(got) != 0 || s.Dropped() != 0 {
		t.Fatalf("extra requests %d, dropped %d", len(got), s.Dropped())
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		for range 50 {
			d := backoff(time.Second, attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	if d := backoff(time.Second, 40); d > maxBackoff || d < maxBackoff/2 {
		t.Fatalf("capped backoff %v", d)
	}
}
