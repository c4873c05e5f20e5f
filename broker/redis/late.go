package redis

import (
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
)

// A plain PUBLISH (plainpub.go) carries no deadline, so one whose caller
// gave up in a stalled Redis (and was answered 503) may still run once
// Redis resumes, after a later publication of the same channel sent
// through another node, and be delivered after it. The receiving nodes
// drop such a publication instead. Each publication carries, in Redis's
// clock as its node measured it (heartbeat.go, within clockErr):
//
//   - Sent, a lower bound of when it was sent;
//   - Until, an upper bound of its caller's deadline.
//
// Redis hands a channel's messages to a node's pub/sub connection in the
// order it ran them. So when a publication p arrives after one, q, with
// q.Sent > p.Until, then p ran after q, which was sent after p's
// deadline: p ran late, and its caller was told it failed. A publication
// accepted in time ran before its deadline, so before every publication
// sent after it, and is never dropped. A late one that arrives before
// any such q is delivered, in order: a refusal was ambiguous then, as a
// timeout is. A publication that failed with its outcome unknown is
// answered only once its deadline passed, by lateMargin (publishPlain),
// so whatever its publisher sends next carries a Sent above its Until
// even when it goes through another node: the two bounds are apart by
// the margin less both nodes' clock errors, each at most half a
// heartbeat's round trip to Redis.

// wirePub is a publication as it travels through Redis: the Publication
// and the bounds above (unix ms; 0 before this node first measured the
// clocks, and then never dropped).
type wirePub struct {
	broker.Publication
	Sent  int64 `json:"rs,omitempty"`
	Until int64 `json:"ru,omitempty"`
}

// stamp returns p with its bounds for a caller's deadline dl.
func (b *Broker) stamp(p *broker.Publication, dl time.Time) wirePub {
	w := wirePub{Publication: *p}
	if e := b.clockErr.Load(); e > 0 { // measured (at least 1 ms)
		w.Sent, w.Until = stampBounds(time.Now(), dl, b.clockSkew.Load(), e)
	}
	return w
}

// stampBounds are the bounds Sent and Until of a publication sent at
// now with deadline dl (this node's clock), for a clock offset skew
// measured with error e (clockOffset). Beyond e, each takes 2 ms: 1 for
// truncating now or dl to milliseconds, 1 for the truncations of both
// clocks in the measurement, which put skew up to 1 ms off on either
// side of half the round trip.
func stampBounds(now, dl time.Time, skew, e int64) (sent, until int64) {
	return now.UnixMilli() + skew - e - 1, dl.UnixMilli() + 2 + skew + e
}

// lateMargin is how long after its deadline a publication whose outcome
// is unknown is answered: more than the two bounds' roundings (3 ms
// each, stampBounds) and twice the clock errors of this node and of the
// node its caller publishes through next, taken as the largest a live
// node reported at the last heartbeat (peerClockErr).
func (b *Broker) lateMargin() time.Duration {
	own := b.clockErr.Load()
	return time.Duration(12+2*own+2*max(own, b.peerClockErr.Load())) * time.Millisecond
}

// lateFilter keeps, per Redis channel this node listens to, the latest
// Sent it delivered.
type lateFilter struct {
	mu   sync.Mutex
	sent map[string]int64
}

// admit reports whether a publication with Sent sent and Until until,
// arriving on channel ch, is to be delivered (see above), and records it.
func (f *lateFilter) admit(ch string, sent, until int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	last := f.sent[ch]
	if until != 0 && until < last {
		return false
	}
	if sent > last {
		if f.sent == nil {
			f.sent = map[string]int64{}
		}
		f.sent[ch] = sent
	}
	return true
}

// forget drops channel ch's record once this node no longer listens to
// it: nothing arrives on it any more.
func (f *lateFilter) forget(ch string) {
	f.mu.Lock()
	delete(f.sent, ch)
	f.mu.Unlock()
}
