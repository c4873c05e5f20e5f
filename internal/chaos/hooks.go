package chaos

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
)

// Hook is one webhook event as the receiver got it.
type Hook struct {
	Name    string `json:"name"`
	Channel string `json:"channel"`
	UserID  string `json:"user_id"`
	At      time.Time
}

// Hooks is a webhook receiver on a free loopback port. It answers
// Status (200 by default; Down: it resets the connection without an
// answer) and keeps the events of the requests it answered 2xx, checking
// their signatures.
type Hooks struct {
	URL      string
	Status   atomic.Int32 // answer to give; 0 means 200
	Requests atomic.Int64 // every request, whatever the answer
	BadSig   atomic.Int64

	mu     sync.Mutex
	events []Hook
}

// Down is the Hooks.Status of a receiver that drops every request.
const Down = -1

// StartHooks starts the receiver until the test ends.
func StartHooks(t testing.TB) *Hooks {
	h := &Hooks{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hooks"
	return h
}

func (h *Hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	status := int(h.Status.Load())
	if status == 0 {
		status = 200
	}
	if status == Down {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if status >= 300 {
		w.WriteHeader(status)
		return
	}
	if !auth.VerifyWebhook(AppSecret, body, r.Header.Get("X-Pusher-Signature")) {
		h.BadSig.Add(1)
	}
	var b struct {
		Events []Hook `json:"events"`
	}
	_ = json.Unmarshal(body, &b)
	now := time.Now()
	h.mu.Lock()
	for _, e := range b.Events {
		e.At = now
		h.events = append(h.events, e)
	}
	h.mu.Unlock()
	w.WriteHeader(status)
}

// Find returns the first event received matching name, channel and (when
// not empty) userID.
func (h *Hooks) Find(name, channel, userID string) (Hook, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if e.Name == name && e.Channel == channel && (userID == "" || e.UserID == userID) {
			return e, true
		}
	}
	return Hook{}, false
}

// Distinct returns how many distinct (name, channel, user) events whose
// channel starts with prefix were received, and how many arrived more
// than once.
func (h *Hooks) Distinct(prefix string) (distinct, repeated int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[Hook]int{}
	for _, e := range h.events {
		if len(e.Channel) >= len(prefix) && e.Channel[:len(prefix)] == prefix {
			e.At = time.Time{}
			seen[e]++
		}
	}
	for _, n := range seen {
		if n > 1 {
			repeated += n - 1
		}
	}
	return len(seen), repeated
}

// Count returns how many events named name were received.
func (h *Hooks) Count(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		if e.Name == name {
			n++
		}
	}
	return n
}
