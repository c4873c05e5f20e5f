package redis

import "testing"

// TestLateFilterAdmit: a publication is dropped only when it arrives
// after one sent after its deadline; unstamped publications (Until 0:
// a node that had not measured the clocks yet, or an older node) are
// always delivered; one in another clock (a failover) is delivered and
// starts the record afresh; forget starts a channel afresh.
func TestLateFilterAdmit(t *testing.T) {
	var f lateFilter
	steps := []struct {
		ch          string
		sent, until int64
		clock       uint64
		want        bool
	}{
		{"x", 1000, 3000, 7, true},  // first
		{"x", 1020, 3020, 7, true},  // sent before the first's deadline
		{"x", 3500, 5500, 7, true},  // sent after the first's deadline (its caller got 503 by then)
		{"x", 1010, 3010, 7, false}, // ran after the one sent after its deadline: late
		{"x", 0, 0, 0, true},        // unstamped
		{"y", 1010, 3010, 7, true},  // another channel has its own record
		{"x", 3400, 5400, 7, true},  // sent before the latest's deadline
		{"x", 2000, 3499, 7, false}, // deadline just before the latest delivered send
		{"x", 900, 2900, 8, true},   // another clock, 2.6 s behind: not compared
		{"x", 950, 2950, 7, true},   // back to the first clock: the record started again
	}
	for i, s := range steps {
		if got := f.admit(s.ch, s.sent, s.until, s.clock); got != s.want {
			t.Fatalf("step %d %+v: admitted %v", i, s, got)
		}
	}
	f.forget("x")
	if !f.admit("x", 1010, 3010, 7) {
		t.Fatal("a forgotten channel still dropped what its old record made late")
	}
}
