package tlsconn

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// A TLS handshake leaves tens of kilobytes of garbage on the server
// (crypto/tls's messages, certificate and key-exchange state; about 40 KB
// for TLS 1.3 with X25519MLKEM768), against a few hundred bytes an idle
// connection keeps afterwards. During a burst of handshakes (a connect
// storm, the clients of a restarted node coming back) the garbage grows
// the Go heap to twice the live data (GOGC=100) again and again. When
// the burst ends the connections go idle, allocate nothing, and nothing
// starts another collection (but the runtime's forced one every two
// minutes): the last cycle's garbage stays in the heap, and the pages the
// collections freed stay resident, since the runtime's background
// scavenger only returns what lies beyond about 110 % of the heap goal.
// So the resident size after a burst lands anywhere between the live
// heap and about twice it, depending on where in its cycle the burst
// ended.
//
// The reclaimer takes that garbage back once, after the burst: when at
// least reclaimBurst handshakes ended since the last reclaim and none for
// Options.ReclaimAfter, it collects and returns the freed pages to the
// OS (debug.FreeOSMemory). A collection costs CPU in proportion to the
// live heap (a few milliseconds for tens of thousands of idle
// connections); the next reclaim waits at least reclaimGap and 100 times
// the last one's duration, so reclaims take at most 1 % of one core. A
// steady trickle of handshakes never goes quiet and is left to the
// runtime's pacing, whose garbage at any moment is then a trickle's.

const (
	// reclaimBurst is how many handshakes make a burst worth a reclaim:
	// about 10 MB of garbage.
	reclaimBurst = 256
	// reclaimGap is the least time between two reclaims.
	reclaimGap = 5 * time.Second
	// reclaimCost: the next reclaim waits this many times the duration
	// of the last.
	reclaimCost = 100
)

// Reclaim reports one reclaim after a burst of handshakes
// (Options.Reclaimed).
type Reclaim struct {
	Handshakes int64         // handshakes that ended since the last reclaim
	Released   uint64        // bytes of heap returned to the OS
	Took       time.Duration // the collection and the return
}

// reclaimer watches handshakes end and reclaims their garbage once they
// go quiet.
type reclaimer struct {
	quiet  time.Duration
	report func(Reclaim)
	ended  atomic.Int64 // handshakes ended since the last reclaim
	last   atomic.Int64 // when the last one ended, Unix nanoseconds
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func newReclaimer(quiet time.Duration, report func(Reclaim)) *reclaimer {
	r := &reclaimer{quiet: quiet, report: report, stop: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r
}

// handshakeEnded counts a handshake that ended, well or not.
func (r *reclaimer) handshakeEnded() {
	if r == nil {
		return
	}
	r.last.Store(time.Now().UnixNano())
	r.ended.Add(1)
}

func (r *reclaimer) run() {
	defer close(r.done)
	t := time.NewTicker(r.quiet / 4)
	defer t.Stop()
	var next time.Time
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			if r.ended.Load() < reclaimBurst || now.Before(next) ||
				now.Sub(time.Unix(0, r.last.Load())) < r.quiet {
				continue
			}
			rc := r.reclaim()
			next = time.Now().Add(max(reclaimGap, reclaimCost*rc.Took))
			if r.report != nil {
				r.report(rc)
			}
		}
	}
}

// reclaim collects the heap and returns its free pages to the OS.
func (r *reclaimer) reclaim() Reclaim {
	rc := Reclaim{Handshakes: r.ended.Swap(0)}
	before := heapReleased()
	start := time.Now()
	debug.FreeOSMemory()
	rc.Took = time.Since(start)
	if after := heapReleased(); after > before {
		rc.Released = after - before
	}
	return rc
}

// close stops the reclaimer; nil and later calls do nothing.
func (r *reclaimer) close() {
	if r == nil {
		return
	}
	r.once.Do(func() {
		close(r.stop)
		<-r.done
	})
}

// heapReleased is the heap memory the runtime holds released to the OS,
// in bytes.
func heapReleased() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
