//go:build !race

package broker

import (
	"context"
	"testing"
)

// A publication of a channel without history costs the Memory broker
// nothing more than before: no allocation.
func TestMemoryPublishWithoutHistoryDoesNotAllocate(t *testing.T) {
	m, _ := startMemory(t, nil)
	p := Publication{App: "a", Channel: "plain", Event: "e", Data: `"x"`}
	h := &discard{}
	m.h = h
	if n := testing.AllocsPerRun(100, func() { _ = m.Publish(context.Background(), p) }); n != 0 {
		t.Fatalf("%v allocations per publish", n)
	}
}

type discard struct{}

func (*discard) Deliver(Publication)          {}
func (*discard) TerminateUser(string, string) {}
