package pusher

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fanout/fanout/internal/nouring"
)

// endRecorder counts ConnEnded by "by/cause", and the rings that failed
// and the connections they shut (IOUringFailed).
type endRecorder struct {
	uringFailRecorder
	mu   *sync.Mutex
	ends map[string]int
}

func (r endRecorder) ConnEnded(by, cause string) {
	r.mu.Lock()
	r.ends[by+"/"+cause]++
	r.mu.Unlock()
}

// ended returns a copy of the counts and their sum.
func (r endRecorder) ended() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, n := make(map[string]int, len(r.ends)), 0
	for k, v := range r.ends {
		out[k], n = v, n+v
	}
	return out, n
}

// A ring that fails with a send in flight, for real: every ring's
// submission index array points past its queue (nouring.DropSubmissions),
// so the kernel takes the first send of a fan-out without doing it and
// will never complete it; the batch sees the kernel's dropped count rise
// and retires the ring (poller.ErrSubmissionDropped). The connection
// whose send the ring held is shut down, and the server counts it as
// ended by the server with cause send_in_doubt, not as its client's
// end-of-file; the other subscribers carry on through writev(2). The
// test runs in a child: the broken rings are the whole process's.
func TestIOUringSendInDoubtEndedByServer(t *testing.T) {
	if !inChild(t, "FANOUT_TEST_DROP_IO_URING_SENDS") {
		return
	}
	skipWithoutIOUring(t)
	rec := endRecorder{uringFailRecorder: uringFailRecorder{rings: new(atomic.Int32), conns: new(atomic.Int32)},
		mu: new(sync.Mutex), ends: map[string]int{}}
	s := startRealServer(t, Options{IOUring: true, Metrics: rec})
	rings := int32(3 * runtime.GOMAXPROCS(0)) // delivery workers and fan-out helpers
	waitFor(t, "every delivery worker and helper holding a ring", func() bool { return s.ioUringWorkers.Load() == rings })
	url := "ws://" + s.Addr().String() + "/app/app-key?protocol=7"
	const readers = 4
	var clients []*wsClient
	for range readers {
		c := dialWS(t, url, nil)
		c.subscribe("feed")
		clients = append(clients, c)
	}

	if n, err := nouring.DropSubmissions(sendBatchSize); err != nil || n != int(rings) {
		t.Fatalf("broke %d rings (%v), want the server's %d", n, err, rings)
	}
	// Two events: each fan-out may go to another worker's ring, and each
	// ring that fails sheds the one connection whose send the kernel
	// dropped (it stops submitting there); the rest are written with
	// writev(2).
	offerTick(t, s, 0, "x")
	offerTick(t, s, 1, "x")
	got := make([]int, readers)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { got[i] = readSequence(c, 2) })
	}
	wg.Wait()
	whole := 0
	for _, n := range got {
		if n == 2 {
			whole++
		}
	}
	lost := readers - whole
	if lost == 0 {
		t.Fatalf("every subscriber read both events (%v): no send was in doubt", got)
	}
	waitFor(t, "the failed rings to report and the connections they shut to end", func() bool {
		_, n := rec.ended()
		return int(rec.conns.Load()) == lost && n == lost
	})
	t.Logf("%d of %d subscribers shut with a send in doubt; the others read both events", lost, readers)
	if f := rec.rings.Load(); f != int32(lost) {
		t.Errorf("%d rings failed and shut %d connections, want one each", f, lost)
	}
	if ends, _ := rec.ended(); len(ends) != 1 || ends["server/send_in_doubt"] != lost {
		t.Fatalf("%d connections shut with their sends in doubt ended as %v, want all server/send_in_doubt", lost, ends)
	}
}
