package hubcore

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/bench/internal/pushersig"
)

// wire is a Conn whose bytes are what a Fanout wrote to it.
type wire struct {
	mu     sync.Mutex
	data   []byte
	writes int
}

func (w *wire) Send([]byte) bool { return true }

func (w *wire) write(frames []byte) {
	w.mu.Lock()
	w.data = append(w.data, frames...)
	w.writes++
	w.mu.Unlock()
}

// messages splits what w was written into text frames' payloads.
func (w *wire) messages(t *testing.T) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for b := w.data; len(b) > 0; {
		if len(b) < 2 || b[0] != 0x80|OpText || b[1] >= 126 || len(b) < 2+int(b[1]) {
			t.Fatalf("not a short final text frame: % x", b)
		}
		out = append(out, string(b[2:2+b[1]]))
		b = b[2+b[1]:]
	}
	return out
}

// gate holds every Write until it is opened.
type gate struct{ open chan struct{} }

func (g gate) write(c Conn, frames []byte) {
	<-g.open
	c.(*wire).write(frames)
}

func subscribe(t *testing.T, h *Hub, n int) []*wire {
	t.Helper()
	ws := make([]*wire, n)
	for i := range ws {
		ws[i] = &wire{}
		h.HandleMessage(ws[i], &State{}, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`))
	}
	return ws
}

func postEvent(h *Hub, data string) *httptest.ResponseRecorder {
	body := []byte(`{"name":"e","channel":"news","data":"` + data + `"}`)
	q := pushersig.Query("app-key", "app-secret", "POST", "/apps/app-id/events", body, time.Now().Unix())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/apps/app-id/events?"+q, bytes.NewReader(body)))
	return w
}

// TestFanoutAnswersBeforeWrites: every publish is answered while none
// of its writes has happened (the sockets are held), far past any
// per-shard queue that would make the endpoint wait for the writes.
func TestFanoutAnswersBeforeWrites(t *testing.T) {
	g := gate{open: make(chan struct{})}
	defer close(g.open)
	f := NewFanout(FanoutOptions{Shards: 2, Write: g.write})
	h := New(Options{Publish: f.Publish})
	subscribe(t, h, 100)
	answered := make(chan int)
	go func() {
		for i := range 200 {
			if w := postEvent(h, strconv.Itoa(i)); w.Code != http.StatusOK {
				answered <- w.Code
				return
			}
		}
		answered <- http.StatusOK
	}()
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Fatalf("publish answered %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("publishes waited for the subscribers' writes")
	}
}

// TestFanoutBacklogFull: past Backlog waiting publishes the endpoint
// answers 503 at once, and what it accepted is still delivered.
func TestFanoutBacklogFull(t *testing.T) {
	g := gate{open: make(chan struct{})}
	f := NewFanout(FanoutOptions{Shards: 2, Backlog: 3, Write: g.write})
	h := New(Options{Publish: f.Publish})
	ws := subscribe(t, h, 10)
	var codes []int
	for i := range 5 {
		codes = append(codes, postEvent(h, strconv.Itoa(i)).Code)
	}
	want := []int{200, 200, 200, 503, 503}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("answers %v, want %v", codes, want)
	}
	close(g.open)
	waitDelivered(t, ws, 3)
	if w := postEvent(h, "after"); w.Code != http.StatusOK {
		t.Fatalf("after the backlog drained: %d", w.Code)
	}
}

// waitDelivered waits until every wire holds n messages.
func waitDelivered(t *testing.T, ws []*wire, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		done := true
		for _, w := range ws {
			if len(w.messages(t)) < n {
				done = false
				break
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every subscriber got %d messages", n)
		}
	}
}

// TestFanoutExactlyOnceInOrder: publishes queued while the writes are
// held reach every subscriber exactly once and in order, joined into
// fewer writes than messages; a subscriber that joins between
// publishes gets only the later ones.
func TestFanoutExactlyOnceInOrder(t *testing.T) {
	g := gate{open: make(chan struct{})}
	f := NewFanout(FanoutOptions{Shards: 3, Write: g.write})
	h := New(Options{Publish: f.Publish})
	early := subscribe(t, h, 1000)
	for i := range 20 {
		if w := postEvent(h, strconv.Itoa(i)); w.Code != http.StatusOK {
			t.Fatalf("publish %d: %d", i, w.Code)
		}
	}
	late := subscribe(t, h, 7)
	for i := 20; i < 30; i++ {
		postEvent(h, strconv.Itoa(i))
	}
	close(g.open)
	waitDelivered(t, early, 30)
	waitDelivered(t, late, 10)
	check := func(ws []*wire, from int) {
		for _, w := range ws {
			got := w.messages(t)
			if len(got) != 30-from {
				t.Fatalf("subscriber got %d messages, want %d", len(got), 30-from)
			}
			for k, m := range got {
				if want := `{"event":"e","channel":"news","data":"` + strconv.Itoa(from+k) + `"}`; m != want {
					t.Fatalf("message %d is %s, want %s", k, m, want)
				}
			}
			if w.writes >= len(got) {
				t.Fatalf("%d messages took %d writes; queued frames were not joined", len(got), w.writes)
			}
		}
	}
	check(early, 0)
	check(late, 20)
}
