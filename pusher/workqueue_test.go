package pusher

import (
	"errors"
	"testing"
	"time"

	"github.com/panjf2000/ants/v2"
)

// The work queue runs everything it accepted, in order with one
// goroutine, refuses only beyond its bound, and keeps working after
// compacting under a queue that never empties.
func TestWorkQueueOrderAndBound(t *testing.T) {
	pool, err := ants.NewPool(1, ants.WithNonblocking(true))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Release()
	w := workQueue{pool: pool}
	gate, started, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var ran []int // only the one drain task appends
	if err := w.Submit(func() { close(started); <-gate }); err != nil {
		t.Fatal(err)
	}
	<-started // the blocking task has left the queue
	for i := range workQueueLen - 1 {
		if err := w.Submit(func() { ran = append(ran, i) }); err != nil {
			t.Fatalf("task %d refused: %v", i, err)
		}
	}
	if err := w.Submit(func() { close(done) }); err != nil {
		t.Fatalf("last task within the bound refused: %v", err)
	}
	if err := w.Submit(func() {}); !errors.Is(err, errQueueFull) {
		t.Fatalf("task beyond the bound: %v, want errQueueFull", err)
	}
	close(gate)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("queued work never ran")
	}
	if len(ran) != workQueueLen-1 {
		t.Fatalf("%d tasks ran, want %d", len(ran), workQueueLen-1)
	}
	for i, v := range ran {
		if v != i {
			t.Fatalf("task %d ran in place %d", v, i)
		}
	}
	again := make(chan struct{})
	if err := w.Submit(func() { close(again) }); err != nil {
		t.Fatalf("task after the queue drained: %v", err)
	}
	select {
	case <-again:
	case <-time.After(30 * time.Second):
		t.Fatal("work queued after draining never ran")
	}
}
