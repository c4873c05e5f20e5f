package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape fetches /metrics and returns every "name value" line as a map.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func exercise(m *Metrics) {
	m.ConnectionOpened("app-1")
	m.ConnectionOpened("app-1")
	m.ConnectionOpened(`we"ird`)
	m.ConnectionClosed("app-1", 4201)
	m.ConnectionClosed(`we"ird`, 12)
	m.UpgradeRejected(RejectForbiddenOrigin)
	m.MessageIn(10)
	m.MessageIn(5)
	m.MessagesOut(3, 300)
	m.Published("app-1", PublishOK)
	m.Published("app-1", PublishUnavailable)
	m.ObserveFanout(3 * time.Millisecond)
	m.ChannelsAdd(2)
	m.ChannelsAdd(-1)
	m.SlowConsumerDisconnect()
	m.IOUringFailed(3)
	m.HeartbeatTimeout()
	m.ConnectionEnded("server", "drain")
	m.ConnectionEnded("server", "drain")
	m.ConnectionEnded("client", "eof")
	m.BrokerError("publish")
	m.BrokerLate()
	m.Webhook(WebhookOK)
	m.WebhookResultFunc()(false)
	m.WebhookDropFunc()()
	m.SubscriptionsDelta("app-1", 3)
	m.SubscriptionsDelta("app-1", -1)
	m.PresenceMembersDelta("app-1", 1)
	m.AppDelivered("app-1", 4, 400)
	m.PublishToSocket(2 * time.Millisecond)
	m.HTTPRequest("events", 200, time.Millisecond)
	m.HTTPRequest("events", 401, time.Millisecond)
	m.HTTPRequest("/apps/x/../evil", 404, time.Millisecond) // not a route name: other
	m.BrokerHealth(true, 300*time.Microsecond)
	m.BrokerHealth(false, 0)
	m.WebhookRequest(20 * time.Millisecond)
	m.SetWebhookQueue("app-1", func() int { return 7 })
}

func TestScrapeEveryMetricMoves(t *testing.T) {
	m := New()
	before := scrape(t, m.Handler())
	if before["fanout_messages_in_total"] != 0 {
		t.Fatalf("fresh counter is %v", before["fanout_messages_in_total"])
	}
	exercise(m)
	got := scrape(t, m.Handler())
	want := map[string]float64{
		`fanout_connections{app="app-1"}`:                               1,
		`fanout_connections{app="we\"ird"}`:                             0,
		`fanout_connections_opened_total{app="app-1"}`:                  2,
		`fanout_connections_closed_total{code="4201"}`:                  1,
		`fanout_connections_closed_total{code="other"}`:                 1,
		`fanout_upgrades_rejected_total{reason="forbidden_origin"}`:     1,
		`fanout_upgrades_rejected_total{reason="over_capacity"}`:        0,
		`fanout_messages_in_total`:                                      2,
		`fanout_bytes_in_total`:                                         15,
		`fanout_messages_out_total`:                                     3,
		`fanout_bytes_out_total`:                                        300,
		`fanout_publishes_total{app="app-1",result="ok"}`:               1,
		`fanout_publishes_total{app="app-1",result="unavailable"}`:      1,
		`fanout_publishes_total{app="app-1",result="error"}`:            0,
		`fanout_delivery_duration_seconds_count`:                        1,
		`fanout_delivery_duration_seconds_bucket{le="+Inf"}`:            1,
		`fanout_channels`:                                               1,
		`fanout_slow_consumer_disconnects_total`:                        1,
		`fanout_io_uring_failures_total`:                                1,
		`fanout_io_uring_failure_disconnects_total`:                     3,
		`fanout_heartbeat_timeouts_total`:                               1,
		`fanout_connections_ended_total{by="server",cause="drain"}`:     2,
		`fanout_connections_ended_total{by="client",cause="eof"}`:       1,
		`fanout_broker_errors_total{op="publish"}`:                      1,
		`fanout_broker_late_publications_total`:                         1,
		`fanout_webhooks_total{result="ok"}`:                            1,
		`fanout_webhooks_total{result="error"}`:                         1,
		`fanout_webhooks_total{result="dropped"}`:                       1,
		`fanout_subscriptions{app="app-1"}`:                             2,
		`fanout_presence_members{app="app-1"}`:                          1,
		`fanout_app_messages_out_total{app="app-1"}`:                    4,
		`fanout_app_bytes_out_total{app="app-1"}`:                       400,
		`fanout_publish_to_socket_seconds_count`:                        1,
		`fanout_http_requests_total{endpoint="events",code="200"}`:      1,
		`fanout_http_requests_total{endpoint="events",code="401"}`:      1,
		`fanout_http_requests_total{endpoint="other",code="404"}`:       1,
		`fanout_http_request_duration_seconds_count{endpoint="events"}`: 2,
		`fanout_http_request_duration_seconds_count{endpoint="other"}`:  1,
		`fanout_broker_up`:                                              0,
		`fanout_broker_rtt_seconds_count`:                               1,
		`fanout_webhook_request_duration_seconds_count`:                 1,
		`fanout_webhook_queued_events{app="app-1"}`:                     7,
	}
	for name, v := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s missing from scrape", name)
			continue
		}
		if g != v {
			t.Errorf("%s = %v, want %v", name, g, v)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := got[name]; !ok {
			t.Errorf("runtime/process metric %s missing", name)
		}
	}
}

func TestFanoutHistogramHasLeBuckets(t *testing.T) {
	m := New()
	m.ObserveFanout(100 * time.Microsecond)
	got := scrape(t, m.Handler())
	n := 0
	for name, v := range got {
		if strings.HasPrefix(name, "fanout_delivery_duration_seconds_bucket{le=") {
			n++
			if strings.Contains(name, `le="5e-05"`) && v != 0 {
				t.Errorf("100µs landed in the 50µs bucket")
			}
		}
	}
	if n != len(FanoutBuckets())+1 {
		t.Fatalf("%d buckets, want %d", n, len(FanoutBuckets())+1)
	}
}

func TestHandlerRoutes(t *testing.T) {
	h := New().Handler()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/metrics", 200},
		{"HEAD", "/metrics", 200},
		{"GET", "/other", 404},
		{"POST", "/metrics", 405},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.code)
		}
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	m := New()
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				m.ConnectionOpened("app-" + strconv.Itoa(i%5))
				m.ConnectionClosed("app-"+strconv.Itoa(i%5), 4000+i%10)
				m.BrokerError("op" + strconv.Itoa(i%3))
			}
		}()
	}
	for range 8 {
		<-done
	}
	got := scrape(t, m.Handler())
	var opened float64
	for i := range 5 {
		opened += got[`fanout_connections_opened_total{app="app-`+strconv.Itoa(i)+`"}`]
		if c := got[`fanout_connections{app="app-`+strconv.Itoa(i)+`"}`]; c != 0 {
			t.Errorf("app-%d gauge %v after balanced open/close", i, c)
		}
	}
	if opened != 1600 {
		t.Fatalf("opened %v, want 1600", opened)
	}
}

// Prometheus reads a series' kind from its # TYPE line; without one every
// series is untyped and the histogram is not a histogram.
func TestExpositionDeclaresTypes(t *testing.T) {
	m := New()
	m.AddApp("a")
	m.ConnectionOpened("a")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"# TYPE fanout_delivery_duration_seconds histogram",
		"# TYPE fanout_connections gauge",
		"# TYPE fanout_channels gauge",
		"# TYPE fanout_messages_out_total counter",
		"# TYPE fanout_connections_opened_total counter",
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
