//go:build !race

package delivery

import "testing"

// The race detector allocates on its own account, so these run without it.

// TestFanoutAllocatesNothing: writing a batch to a channel big enough to
// be split over the helpers allocates nothing once the worker's scratch
// space has grown.
func TestFanoutAllocatesNothing(t *testing.T) {
	e, hub := testEngine(t, &sink{}, Options{})
	subscribe(hub, "ch", 3*chunk+10)
	e.Start()
	evs := []*msg{newMsg("ch", 0, 100), newMsg("ch", 1, 100)}
	var b batch[*sub]
	e.deliverBatch(&b, key("ch"), evs)
	if n := testing.AllocsPerRun(100, func() { e.deliverBatch(&b, key("ch"), evs) }); n != 0 {
		t.Fatalf("%v allocations per batch, want 0", n)
	}
}
