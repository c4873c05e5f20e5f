package httpapi

import (
	"net/http"
	"time"
)

// endpoints names each route for metrics: a fixed set chosen here, so no
// request's path becomes a label value.
var endpoints = map[string]string{
	"GET /healthz":                                        "healthz",
	"GET /readyz":                                         "readyz",
	"POST /apps/{app}/events":                             "events",
	"POST /apps/{app}/batch_events":                       "batch_events",
	"GET /apps/{app}/channels":                            "channels",
	"GET /apps/{app}/channels/{channel}":                  "channel",
	"GET /apps/{app}/channels/{channel}/users":            "channel_users",
	"GET /apps/{app}/channels/{channel}/history":          "channel_history",
	"POST /apps/{app}/users/{user}/terminate_connections": "terminate_user_connections",
}

// Endpoint is the metrics name of the route pattern (net/http's
// Request.Pattern) a request matched, or "other" (no route: 404, 405).
func Endpoint(pattern string) string {
	if e, ok := endpoints[pattern]; ok {
		return e
	}
	return "other"
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe serves r through the mux and reports its endpoint, status and
// duration to Options.Observe.
func (h *Handler) observe(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	h.mux.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	h.o.Observe(Endpoint(r.Pattern), rec.code, time.Since(start))
}
