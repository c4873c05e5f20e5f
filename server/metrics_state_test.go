package server_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/metrics"
)

// The series behind the dashboard move with real traffic: HTTP API
// requests by endpoint and status (a path the API does not route counts
// as "other", not as itself), subscriptions and presence members held,
// the app's fan-out traffic, and the publish-to-socket latency.
func TestDashboardSeriesMoveWithRealTraffic(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]

	c := fantest.Dial(t, n.URL(app.Key), nil)
	c.Subscribe("news")
	data := `{"user_id":"u1"}`
	const presence = "presence-room"
	c.Send("pusher:subscribe", map[string]string{"channel": presence, "channel_data": data,
		"auth": auth.SignChannel(app.Key, app.Secret, c.SocketID, presence, data)})
	c.Expect("pusher_internal:subscription_succeeded")
	// The first join's member_added goes through the delivery engine to
	// no socket (its only subscriber sent it); wait until it has, so it
	// cannot reach the second tab below and count as a fourth frame.
	deadline := time.Now().Add(5 * time.Second)
	for scrape(t, n)[`fanout_delivery_duration_seconds_count`] < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first join's member_added was never delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A second tab of the same user: two subscriptions, one member.
	c2 := fantest.Dial(t, n.URL(app.Key), nil)
	c2.Send("pusher:subscribe", map[string]string{"channel": presence, "channel_data": data,
		"auth": auth.SignChannel(app.Key, app.Secret, c2.SocketID, presence, data)})
	c2.Expect("pusher_internal:subscription_succeeded")

	for range 3 {
		if st, body := n.Publish(t, app, "news", "flash", "hello"); st != 200 {
			t.Fatalf("publish %d %s", st, body)
		}
		c.Expect("flash")
	}
	bad := app
	bad.Secret = "wrong"
	if st, _ := n.Publish(t, bad, "news", "flash", "x"); st != 401 {
		t.Fatalf("bad signature got %d", st)
	}
	for _, path := range []string{"/healthz", "/no/such/route", "/apps/" + app.ID + "/../../etc/passwd"} {
		resp, err := http.Get("http://" + n.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	got := scrape(t, n)
	want := map[string]float64{
		`fanout_http_requests_total{endpoint="events",code="200"}`:      3,
		`fanout_http_requests_total{endpoint="events",code="401"}`:      1,
		`fanout_http_requests_total{endpoint="healthz",code="200"}`:     1,
		`fanout_http_request_duration_seconds_count{endpoint="events"}`: 4,
		`fanout_subscriptions{app="app-id"}`:                            3,
		`fanout_presence_members{app="app-id"}`:                         1,
		`fanout_app_messages_out_total{app="app-id"}`:                   3,
		// The three publishes; not the member_added of the first join,
		// which had no socket to go to but its sender's.
		`fanout_publish_to_socket_seconds_count`: 3,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
	if got[`fanout_http_requests_total{endpoint="other",code="404"}`] < 1 {
		t.Errorf("unrouted paths are not counted as endpoint other: %v", got)
	}
	endpointRE := regexp.MustCompile(`^fanout_http_request[a-z_]*\{endpoint="([^"]*)"`)
	for k := range got {
		if m := endpointRE.FindStringSubmatch(k); m != nil && !slices.Contains(metrics.Endpoints, m[1]) {
			t.Errorf("series %s has an endpoint outside the fixed set", k)
		}
	}
	if got[`fanout_app_bytes_out_total{app="app-id"}`] <= 0 {
		t.Errorf("fanout_app_bytes_out_total did not move")
	}

	// Leaving: the gauges come back down.
	c2.Conn.Close()
	c.Send("pusher:unsubscribe", map[string]string{"channel": presence})
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got = scrape(t, n)
		if got[`fanout_subscriptions{app="app-id"}`] == 1 && got[`fanout_presence_members{app="app-id"}`] == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("after leaving: subscriptions %v (want 1), presence members %v (want 0)",
		got[`fanout_subscriptions{app="app-id"}`], got[`fanout_presence_members{app="app-id"}`])
}
