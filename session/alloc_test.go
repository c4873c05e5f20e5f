//go:build !race

package session

import "testing"

// A session's transitions run on the hot path (every connection's open
// and close, every heartbeat's phase check): none allocates.
func TestTransitionsDoNotAllocate(t *testing.T) {
	var s State
	n := testing.AllocsPerRun(100, func() {
		s = State{}
		s.Verify()
		s.Open()
		_ = s.Phase()
		s.StartClose(4200, Drain)
		s.Closed(EOF)
		_, _ = s.Ending()
	})
	if n != 0 {
		t.Fatalf("%v allocations per session", n)
	}
}
