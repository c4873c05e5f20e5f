package redis

import (
	"math/rand/v2"
	"testing"
	"time"
)

// measured is one heartbeat's clock measurement against a Redis whose
// clock is this node's plus offset: sent at before, answered rtt later,
// Redis reading its TIME at some moment in between.
func measured(r *rand.Rand, offset time.Duration) (skew, e int64) {
	before := time.Unix(1_800_000_000, r.Int64N(int64(time.Hour)))
	rtt := time.Duration(1 + r.Int64N(int64(40*time.Millisecond)))
	at := before.Add(offset + time.Duration(r.Int64N(int64(rtt)+1))) // in Redis's clock
	return clockOffset(before, rtt, at.Unix(), int64(at.Nanosecond()/1000))
}

// TestStampBoundsHold: whatever the offset between the clocks, the
// moment Redis read its TIME within the heartbeat's round trip and the
// millisecond roundings, Sent is at most the send time and Until at
// least the deadline, both in Redis's clock. An accepted publication ran
// before its deadline, so one that arrives after it with a Sent above
// its Until was really sent after it ran, never before; and a
// publication sent lateMargin after another's deadline, through a node
// whose clock error is at most 3 ms more, has a Sent above its Until
// (late.go).
func TestStampBoundsHold(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		offset := time.Duration(r.Int64N(int64(10*time.Second))) - 5*time.Second
		skew, e := measured(r, offset)
		now := time.Unix(1_800_000_000, r.Int64N(int64(time.Hour)))
		dl := now.Add(time.Duration(r.Int64N(int64(time.Second))))
		sent, until := stampBounds(now, dl, skew, e)
		if ms := now.Add(offset).UnixNano(); sent*int64(time.Millisecond) > ms {
			t.Fatalf("case %d: Sent %d ms above the send time %.3f ms in Redis's clock (skew %d, error %d)", i, sent, float64(ms)/1e6, skew, e)
		}
		if ms := dl.Add(offset).UnixNano(); until*int64(time.Millisecond) < ms {
			t.Fatalf("case %d: Until %d ms below the deadline %.3f ms in Redis's clock (skew %d, error %d)", i, until, float64(ms)/1e6, skew, e)
		}
		// Another node, whose error is at most e+3, sends after the
		// publisher's 503 (dl plus lateMargin).
		var a Broker
		a.clockErr.Store(e)
		skew2, e2 := measured(r, offset)
		if e2 > e+3 {
			continue
		}
		later := dl.Add(a.lateMargin() + time.Duration(r.Int64N(int64(time.Millisecond))))
		if sent2, _ := stampBounds(later, later, skew2, e2); sent2 <= until {
			t.Fatalf("case %d: Sent %d of a publication sent lateMargin after the deadline is not above Until %d (errors %d and %d ms)", i, sent2, until, e, e2)
		}
	}
}
