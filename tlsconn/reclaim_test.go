package tlsconn

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestReclaimAfterBurst: fewer handshakes than a burst are left to the
// runtime; a burst is reclaimed once handshakes have been quiet for the
// period (never before), counting its handshakes, and the garbage it
// finds goes back to the OS; a second burst right after waits for the
// gap between reclaims.
func TestReclaimAfterBurst(t *testing.T) {
	const quiet = 300 * time.Millisecond
	got := make(chan Reclaim, 4)
	var lastEnded atomic.Int64
	r := newReclaimer(quiet, func(rc Reclaim) {
		if since := time.Since(time.Unix(0, lastEnded.Load())); since < quiet {
			t.Errorf("reclaimed %v after the last handshake, want at least %v", since, quiet)
		}
		got <- rc
	})
	defer r.close()
	ended := func(n int, gap time.Duration) {
		for range n {
			lastEnded.Store(time.Now().UnixNano())
			r.handshakeEnded()
			time.Sleep(gap)
		}
	}
	none := func(what string) {
		t.Helper()
		select { // the reclaimer looks every quarter period
		case rc := <-got:
			t.Fatalf("reclaimed %+v %s", rc, what)
		case <-time.After(4 * quiet):
		}
	}

	ended(reclaimBurst-1, 0)
	none("before a burst's handshakes ended")

	garbage = make([]byte, 64<<20) // touched pages the reclaim finds free
	for i := range garbage {
		garbage[i] = 1
	}
	garbage = nil
	ended(50, quiet/50) // the burst trickles on for about the quiet period
	select {
	case rc := <-got:
		if rc.Handshakes < reclaimBurst || rc.Handshakes > reclaimBurst+49 {
			t.Errorf("reclaim counted %d handshakes, want %d to %d", rc.Handshakes, reclaimBurst, reclaimBurst+49)
		}
		if rc.Released == 0 {
			t.Error("the reclaim returned nothing to the OS")
		}
		t.Logf("reclaim: %+v", rc)
	case <-time.After(20 * time.Second):
		t.Fatal("no reclaim after the burst")
	}

	ended(2*reclaimBurst, 0)
	none("within the gap after the last reclaim")
}

var garbage []byte
