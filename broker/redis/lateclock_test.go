package redis

import (
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
)

// TestLateMarginCoversAnotherNodesClockError: node A's publication p
// failed with its outcome unknown, so A answers its caller only at p's
// deadline plus lateMargin; the caller then publishes q through node B.
// Should p run late, after q, every node must drop it, so q's Sent must
// exceed p's Until. Both nodes measured the same clock (true offset 0);
// A's last heartbeat took a 2 ms round trip, B's 30 ms (a loaded node,
// a GC pause during the beat), which is all clockErr says. (Sampled on
// this machine at load 5: 1-2 ms for an idle node.)
func TestLateMarginCoversAnotherNodesClockError(t *testing.T) {
	var a, b Broker
	a.clockErr.Store(1)                                           // half of a 2 ms round trip
	b.clockErr.Store(15)                                          // half of a 30 ms round trip
	a.clock.Store(&clockMeasure{err: 1, id: 7, mid: time.Now()})  // both measured the same Redis
	b.clock.Store(&clockMeasure{err: 15, id: 7, mid: time.Now()}) // (offset 0 to both nodes' clocks)
	a.peerClockErr.Store(15)                                      // b's, as the last heartbeat gave it to a
	pub := broker.Publication{App: "app", Channel: "x", Event: "e"}
	dl := time.Now().Add(20 * time.Millisecond)
	p := a.stamp(&pub, dl)
	// publishPlain: answered once the deadline passed, by lateMargin.
	time.Sleep(time.Until(dl) + a.lateMargin())
	q := b.stamp(&pub, time.Now().Add(time.Second))
	var f lateFilter
	if !f.admit("x", q.Sent, q.Until, q.Clock) {
		t.Fatal("q dropped")
	}
	if f.admit("x", p.Sent, p.Until, p.Clock) {
		t.Fatalf("p (Until %d) ran after q (Sent %d), published once p's caller had its 503, and was delivered: out of order (A's lateMargin %v, B's clockErr %d ms)",
			p.Until, q.Sent, a.lateMargin(), b.clockErr.Load())
	}
}
