//go:build !race

package pusher

import (
	"testing"
	"time"
)

// The history check runs on every publish: it must not allocate, for
// channels with or without history.
func TestHistoryForDoesNotAllocate(t *testing.T) {
	a := &App{ID: "a", History: []HistoryRule{{Pattern: "orders-*", Size: 10, TTL: time.Minute}, {Pattern: "x-*-y", Size: 1, TTL: time.Second}}}
	s := &Server{}
	s.apps.Store(&appRegistry{byID: map[string]*App{"a": a}})
	for _, ch := range []string{"news", "orders-42", "x-1-y"} {
		if n := testing.AllocsPerRun(100, func() { s.HistoryFor("a", ch) }); n != 0 {
			t.Errorf("HistoryFor(%q): %v allocations", ch, n)
		}
	}
}
