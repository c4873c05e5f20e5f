package hubcore

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/bench/internal/pushersig"
)

// inbox is a Conn that keeps what it is sent.
type inbox struct {
	mu   sync.Mutex
	msgs []string
}

func (b *inbox) Send(m []byte) bool {
	b.mu.Lock()
	b.msgs = append(b.msgs, string(m))
	b.mu.Unlock()
	return true
}

func (b *inbox) last() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) == 0 {
		return ""
	}
	return b.msgs[len(b.msgs)-1]
}

func TestProtocol(t *testing.T) {
	h := New(Options{})
	if w := string(h.Welcome()); !strings.Contains(w, `"event":"pusher:connection_established"`) ||
		!strings.Contains(w, `\"socket_id\":`) {
		t.Fatalf("welcome %s", w)
	}
	var c inbox
	var st State
	h.HandleMessage(&c, &st, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`))
	if got := c.last(); got != `{"event":"pusher_internal:subscription_succeeded","channel":"news","data":"{}"}` {
		t.Fatalf("subscribe answer %s", got)
	}
	h.HandleMessage(&c, &st, []byte(`{"event":"pusher:ping","data":{}}`))
	if got := c.last(); got != `{"event":"pusher:pong","data":"{}"}` {
		t.Fatalf("ping answer %s", got)
	}
	if n := h.Broadcast("news", []byte("x")); n != 1 {
		t.Fatalf("broadcast reached %d", n)
	}
	h.Remove(&c, &st)
	if n := h.Broadcast("news", []byte("x")); n != 0 {
		t.Fatalf("after remove, broadcast reached %d", n)
	}
}

func TestPublishEndpoint(t *testing.T) {
	h := New(Options{})
	var c inbox
	var st State
	h.HandleMessage(&c, &st, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`))
	body := []byte(`{"name":"hello","channel":"news","data":"{\"a\":1}"}`)
	post := func(secret string) int {
		q := pushersig.Query("app-key", secret, "POST", "/apps/app-id/events", body, time.Now().Unix())
		r := httptest.NewRequest("POST", "/apps/app-id/events?"+q, bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", code)
	}
	if code := post("app-secret"); code != http.StatusOK {
		t.Fatalf("good signature: %d", code)
	}
	if got := c.last(); got != `{"event":"hello","channel":"news","data":"{\"a\":1}"}` {
		t.Fatalf("delivered %s", got)
	}
}

// TestPublishHandsOffToTransport: with Options.Publish the endpoint
// gives the transport the channel's subscribers and the message and
// answers without waiting for the writes (the transport here holds
// them until the answer has come).
func TestPublishHandsOffToTransport(t *testing.T) {
	release := make(chan struct{})
	got := make(chan int, 1)
	h := New(Options{Publish: func(subs []Conn, msg []byte) error {
		go func() {
			<-release
			got <- len(subs)
		}()
		return nil
	}})
	var a, b inbox
	var sa, sb State
	h.HandleMessage(&a, &sa, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`))
	h.HandleMessage(&b, &sb, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`))
	body := []byte(`{"name":"hello","channel":"news","data":"x"}`)
	q := pushersig.Query("app-key", "app-secret", "POST", "/apps/app-id/events", body, time.Now().Unix())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/apps/app-id/events?"+q, bytes.NewReader(body)))
	if w.Code != http.StatusOK {
		t.Fatalf("publish answered %d", w.Code)
	}
	close(release)
	if n := <-got; n != 2 {
		t.Fatalf("transport got %d subscribers, want 2", n)
	}
	if a.last() != `{"event":"pusher_internal:subscription_succeeded","channel":"news","data":"{}"}` {
		t.Fatalf("the hub wrote the event itself: %s", a.last())
	}
}
