package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Bucket is a token bucket: Rate tokens a second, at most Burst held, one
// taken per allowed request. The zero Bucket allows nothing; make one
// with NewBucket.
type Bucket struct {
	rate  float64 // tokens per nanosecond
	burst float64

	mu     sync.Mutex
	tokens float64
	last   int64 // unix ns of the last refill
}

// NewBucket returns a full bucket of rate tokens a second holding at
// most burst (at least 1).
func NewBucket(rate float64, burst int) *Bucket {
	b := float64(max(burst, 1))
	return &Bucket{rate: rate / 1e9, burst: b, tokens: b}
}

// Allow takes a token at now (unix ns) if there is one. When there is
// none it returns false and how long until there will be one.
func (b *Bucket) Allow(now int64) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ok, wait := take(&b.tokens, &b.last, now, b.rate, b.burst)
	return ok, wait
}

// take refills tokens from last to now at rate (per ns) up to burst and
// takes one; the shared arithmetic of Bucket and the IP table's entries.
func take[F float32 | float64](tokens *F, last *int64, now int64, rate, burst float64) (bool, time.Duration) {
	t := float64(*tokens)
	if now > *last {
		t = min(burst, t+float64(now-*last)*rate)
		*last = now
	}
	if t >= 1 {
		*tokens = F(t - 1)
		return true, 0
	}
	*tokens = F(t)
	return false, time.Duration(math.Ceil((1 - t) / rate))
}

// RetryAfter is wait as a Retry-After value: whole seconds, rounded up,
// at least 1 (RFC 9110 section 10.2.3).
func RetryAfter(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}
