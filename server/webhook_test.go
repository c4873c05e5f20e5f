package server_test

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
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// receiver is a real HTTP endpoint that checks signatures and fails its
// first request with 500.
type receiver struct {
	mu       sync.Mutex
	events   []webhook.Event
	requests atomic.Int32
	badSig   atomic.Int32
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if n := rc.requests.Add(1); n == 1 {
		w.WriteHeader(http.StatusInternalServerError) // the sender must retry
		return
	}
	if r.Header.Get("X-Pusher-Key") != "app-key" || !auth.VerifyWebhook("app-secret", body, r.Header.Get("X-Pusher-Signature")) {
		rc.badSig.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if json.Unmarshal(body, &p) != nil || p.TimeMs == 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.events = append(rc.events, p.Events...)
	rc.mu.Unlock()
}

func (rc *receiver) has(name, channel string) bool { return rc.count(name, channel) > 0 }

func (rc *receiver) count(name, channel string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, e := range rc.events {
		if e.Name == name && e.Channel == channel {
			n++
		}
	}
	return n
}

func TestWebhooksSignedRetriedAndComplete(t *testing.T) {
	rc := &receiver{}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	cfg := fantest.Config()
	cfg.Apps[0].ClientEvents = true
	cfg.Apps[0].Webhooks.URL = hs.URL
	cfg.Apps[0].Webhooks.BatchWait = 50 * time.Millisecond
	n := fantest.Start(t, cfg, nil)

	a := fantest.Dial(t, n.URL("app-key"), nil)
	b := fantest.Dial(t, n.URL("app-key"), nil)
	a.Subscribe("news")
	for _, c := range []*fantest.Client{a, b} {
		c.Send("pusher:subscribe", map[string]string{"channel": "presence-room",
			"auth":         auth.SignChannel("app-key", "app-secret", c.SocketID, "presence-room", `{"user_id":"u-`+c.SocketID+`"}`),
			"channel_data": `{"user_id":"u-` + c.SocketID + `"}`})
		c.Expect("pusher_internal:subscription_succeeded")
	}
	// Two subscribers find cache-empty empty: each gets pusher:cache_miss,
	// the backend one cache_miss webhook.
	for _, c := range []*fantest.Client{a, b} {
		c.Subscribe("cache-empty")
		c.Expect("pusher:cache_miss")
	}
	a.SendRaw([]byte(`{"event":"client-typing","channel":"presence-room","data":{"on":true}}`))
	b.Expect("client-typing")
	b.Conn.Close() // member_removed for b
	a.Send("pusher:unsubscribe", map[string]string{"channel": "news"})

	want := []struct{ name, channel string }{
		{"channel_occupied", "news"}, {"channel_vacated", "news"},
		{"channel_occupied", "presence-room"}, {"member_added", "presence-room"},
		{"member_removed", "presence-room"}, {"client_event", "presence-room"},
		{"cache_miss", "cache-empty"},
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range want {
		for !rc.has(w.name, w.channel) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !rc.has(w.name, w.channel) {
			t.Errorf("webhook %s %s never arrived", w.name, w.channel)
		}
	}
	if n := rc.count("cache_miss", "cache-empty"); n != 1 {
		t.Errorf("%d cache_miss webhooks for two subscribers within a second, want 1", n)
	}
	if rc.requests.Load() < 2 {
		t.Errorf("no retry after the 500: %d requests", rc.requests.Load())
	}
	if rc.badSig.Load() != 0 {
		t.Errorf("%d requests with a bad signature", rc.badSig.Load())
	}
}
