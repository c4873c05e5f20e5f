//go:build !race

package bench

import "testing"

// Recording a delivery is on every worker's hot path: no allocation.
func TestRecordAllocs(t *testing.T) {
	var h Histogram
	var s latShard
	data := appendBenchData(nil, 7, 1234567890, 100)
	msg := []byte(`{"event":"bench","channel":"bench-1","data":"` + string(data) + `"}`)
	allocs := testing.AllocsPerRun(1000, func() {
		if v, ok := stringField(msg, "data"); ok {
			if _, ns, ok := parseBenchData(v); ok {
				h.Record(ns)
				s.record(ns)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per delivered event", allocs)
	}
}
