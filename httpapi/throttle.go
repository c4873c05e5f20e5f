package httpapi

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/fanout/fanout/ratelimit"
)

// DefaultAPIRate is the HTTP API requests a second one app may make when
// Options.APIRate is 0: far above what a backend sends, low enough that a
// runaway one cannot take the node.
const DefaultAPIRate = 10_000

// throttle holds one token bucket per app (of rate requests a second,
// with a second's worth of burst), made on the app's first request.
type throttle struct {
	rate    float64 // 0: off
	buckets sync.Map
}

// allow reports whether app may make one more request at now (unix ns),
// or how many seconds it should wait.
func (t *throttle) allow(app string, now int64) (bool, int) {
	if t.rate == 0 {
		return true, 0
	}
	b, ok := t.buckets.Load(app)
	if !ok {
		b, _ = t.buckets.LoadOrStore(app, ratelimit.NewBucket(t.rate, int(t.rate)))
	}
	ok, wait := b.(*ratelimit.Bucket).Allow(now)
	return ok, ratelimit.RetryAfter(wait)
}

// throttled answers a request over its app's rate: 429 with Retry-After
// (RFC 6585 section 4) and the JSON error body.
func (h *Handler) throttled(w http.ResponseWriter, app string, retryAfter int) {
	if h.o.Throttled != nil {
		h.o.Throttled(app)
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	WriteError(w, http.StatusTooManyRequests, "too many requests: over the app's HTTP API rate of "+
		strconv.FormatFloat(h.limit.rate, 'f', -1, 64)+" a second")
}
