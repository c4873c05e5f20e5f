package redis

import (
	"hash/fnv"
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

// The bounds of two nodes are comparable only in one clock: each carries
// the name of the Redis server whose clock its node measured (its
// run_id, read by the heartbeat with the clock), and a receiver compares
// only bounds of one clock; after a failover, or a restart, to a server
// whose clock differs, the nodes move to the new clock over one
// heartbeat, and until then the filter compares less rather than drop
// an accepted publication stamped in the other clock.

// wirePub is a publication as it travels through Redis: the Publication
// and the bounds above (unix ms; 0 before this node first measured the
// clocks, and then never dropped).
type wirePub struct {
	broker.Publication
	Sent  int64 `json:"rs,omitempty"`
	Until int64 `json:"ru,omitempty"`
	// Clock names the Redis server whose clock the bounds are in (a hash
	// of its run_id): bounds of two clocks are not compared.
	Clock uint64 `json:"rc,omitempty"`
}

// clockMeasure is one heartbeat's measurement of the Redis clock: the
// offset to this node's (ms), its error bound (ms, clockOffset), the
// clock's name (clockID) and the moment skew is measured from (the
// round trip's middle, with its monotonic reading).
type clockMeasure struct {
	skew, err int64
	id        uint64
	mid       time.Time
}

// clockID names a Redis server's clock by its run_id, which a restart
// or a failover to another server changes (FNV-1a, 64 bits).
func clockID(runID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(runID))
	return h.Sum64()
}

// stamp returns p with its bounds for a caller's deadline dl.
func (b *Broker) stamp(p *broker.Publication, dl time.Time) wirePub {
	w := wirePub{Publication: *p}
	if m := b.clock.Load(); m != nil && m.err > 0 { // measured (at least 1 ms)
		// Times taken as the measurement's wall time plus monotonic time
		// since: a step of this node's wall clock since the heartbeat
		// (NTP) must not move the bounds, whose offset is the
		// heartbeat's.
		now, until := m.mid.Add(time.Since(m.mid)), m.mid.Add(dl.Sub(m.mid))
		w.Sent, w.Until = stampBounds(now, until, m.skew, m.err)
		w.Clock = m.id
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
// Sent it delivered and the clock it is in.
type lateFilter struct {
	mu   sync.Mutex
	recs map[string]lateRec
}

type lateRec struct {
	sent  int64
	clock uint64
}

// admit reports whether a publication with Sent sent and Until until in
// clock clock, arriving on channel ch, is to be delivered (see above),
// and records it. One without bounds (sent 0: its node had not measured
// the clocks, or predates them) is delivered and changes nothing; one
// in another clock than the record's (Redis failed over or restarted,
// and the nodes measure the new one from their next heartbeat on) is
// delivered and starts the record afresh, so bounds of two clocks are
// never compared.
func (f *lateFilter) admit(ch string, sent, until int64, clock uint64) bool {
	if sent == 0 {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[ch]
	if ok && r.clock == clock && until < r.sent {
		return false
	}
	if !ok || r.clock != clock || sent > r.sent {
		if f.recs == nil {
			f.recs = map[string]lateRec{}
		}
		f.recs[ch] = lateRec{sent: sent, clock: clock}
	}
	return true
}

// forget drops channel ch's record once this node no longer listens to
// it: nothing arrives on it any more.
func (f *lateFilter) forget(ch string) {
	f.mu.Lock()
	delete(f.recs, ch)
	f.mu.Unlock()
}
