package metrics

import (
	"strconv"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Endpoints are the values of the endpoint label of the HTTP API series:
// the routes of the Pusher HTTP API (https://pusher.com/docs/channels/library_auth_reference/rest-api/)
// and fanout's own, named by the server, never taken from a request's
// path. Requests that match no route count as "other".
var Endpoints = []string{
	"events", "batch_events", "channels", "channel", "channel_users", "channel_history",
	"terminate_user_connections", "healthz", "readyz", "other",
}

// HTTPBuckets are the upper bounds, in seconds, of
// fanout_http_request_duration_seconds: 100 µs doubling up to about 6.5 s.
func HTTPBuckets() []float64 { return vm.ExponentialBuckets(0.0001, 2, 17) }

// httpKey is one series of fanout_http_requests_total.
type httpKey struct {
	endpoint string
	code     int
}

// httpAPI holds the HTTP API series: a counter per endpoint and status
// code (made on first use: codes are the server's, a handful per
// endpoint) and a latency histogram per endpoint.
type httpAPI struct {
	set       *vm.Set
	durations map[string]*vm.PrometheusHistogram // fixed at New; read without a lock

	mu       sync.RWMutex
	requests map[httpKey]*vm.Counter
}

func newHTTPAPI(s *vm.Set) *httpAPI {
	h := &httpAPI{set: s, durations: map[string]*vm.PrometheusHistogram{}, requests: map[httpKey]*vm.Counter{}}
	for _, e := range Endpoints {
		h.durations[e] = s.NewPrometheusHistogramExt(labelled("fanout_http_request_duration_seconds", "endpoint", e), HTTPBuckets())
	}
	return h
}

func (h *httpAPI) counter(k httpKey) *vm.Counter {
	h.mu.RLock()
	c := h.requests[k]
	h.mu.RUnlock()
	if c != nil {
		return c
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c = h.requests[k]; c == nil {
		c = h.set.GetOrCreateCounter(labelled2("fanout_http_requests_total", "endpoint", k.endpoint, "code", strconv.Itoa(k.code)))
		h.requests[k] = c
	}
	return c
}

// HTTPRequest counts one HTTP API request answered with status code on
// endpoint (one of Endpoints; any other counts as "other"), in
// fanout_http_requests_total, and records how long it took in
// fanout_http_request_duration_seconds.
func (m *Metrics) HTTPRequest(endpoint string, code int, took time.Duration) {
	d := m.http.durations[endpoint]
	if d == nil {
		endpoint = "other"
		d = m.http.durations[endpoint]
	}
	if code < 100 || code > 599 {
		code = 0
	}
	m.http.counter(httpKey{endpoint, code}).Inc()
	d.Update(took.Seconds())
}
