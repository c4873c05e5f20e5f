package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// routeLog is a real webhook endpoint that keeps the events of requests
// signed by the app and carrying want's headers, and counts the others.
type routeLog struct {
	want map[string]string
	mu   sync.Mutex
	got  []webhook.Event
	bad  int
}

func (rl *routeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var p webhook.Payload
	ok := r.Header.Get("X-Pusher-Key") == "app-key" && auth.VerifyWebhook("app-secret", body, r.Header.Get("X-Pusher-Signature")) &&
		json.Unmarshal(body, &p) == nil
	for k, v := range rl.want {
		ok = ok && r.Header.Get(k) == v
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if !ok {
		rl.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rl.got = append(rl.got, p.Events...)
}

// names lists what arrived as "name channel".
func (rl *routeLog) names() map[string]int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	out := map[string]int{}
	for _, e := range rl.got {
		out[e.Name+" "+e.Channel]++
	}
	return out
}

// TestWebhookEndpointsRoute: an app with webhooks.url and two more
// endpoints. Each endpoint gets exactly the event types and channels it
// asked for, with its own headers, every request signed as for the single
// URL (X-Pusher-Key, X-Pusher-Signature); the single URL still gets all.
func TestWebhookEndpointsRoute(t *testing.T) {
	all := &routeLog{}
	presence := &routeLog{want: map[string]string{"Authorization": "Bearer p-token", "X-Tenant": "blue"}}
	news := &routeLog{}
	url := func(rl *routeLog) string {
		hs := httptest.NewServer(rl)
		t.Cleanup(hs.Close)
		return hs.URL
	}
	cfg := fantest.Config()
	w := &cfg.Apps[0].Webhooks
	w.URL, w.BatchWait = url(all), 10*time.Millisecond
	w.Endpoints = []config.WebhookEndpoint{
		{URL: url(presence), Events: []string{"member_added", "member_removed"}, Channels: "presence-*",
			Headers: map[string]string{"Authorization": "Bearer p-token", "x-tenant": "blue"}},
		{URL: url(news), Channels: "news"},
	}
	n := fantest.Start(t, cfg, nil)

	c := fantest.Dial(t, n.URL("app-key"), nil)
	c.Subscribe("news")
	c.Subscribe("other")
	c.Send("pusher:subscribe", map[string]string{"channel": "presence-room",
		"auth":         auth.SignChannel("app-key", "app-secret", c.SocketID, "presence-room", `{"user_id":"u1"}`),
		"channel_data": `{"user_id":"u1"}`})
	c.Expect("pusher_internal:subscription_succeeded")
	c.Conn.Close()

	everything := map[string]int{
		"channel_occupied news": 1, "channel_vacated news": 1,
		"channel_occupied other": 1, "channel_vacated other": 1,
		"channel_occupied presence-room": 1, "channel_vacated presence-room": 1,
		"member_added presence-room": 1, "member_removed presence-room": 1,
	}
	wait := func(rl *routeLog, want map[string]int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !sameCounts(rl.names(), want) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The single URL gets all eight; once it has, every sender has had
	// the same events queued for as long.
	wait(all, everything)
	wantPresence := map[string]int{"member_added presence-room": 1, "member_removed presence-room": 1}
	wantNews := map[string]int{"channel_occupied news": 1, "channel_vacated news": 1}
	wait(presence, wantPresence)
	wait(news, wantNews)
	for _, c := range []struct {
		name string
		rl   *routeLog
		want map[string]int
	}{{"webhooks.url", all, everything}, {"presence endpoint", presence, wantPresence}, {"news endpoint", news, wantNews}} {
		if got := c.rl.names(); !sameCounts(got, c.want) {
			t.Errorf("%s got %v, want %v", c.name, got, c.want)
		}
		c.rl.mu.Lock()
		if c.rl.bad != 0 {
			t.Errorf("%s: %d requests unsigned or without the endpoint's headers", c.name, c.rl.bad)
		}
		c.rl.mu.Unlock()
	}
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
