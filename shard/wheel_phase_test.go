package shard

import (
	"testing"
	"time"
)

// A clock that ticks out of phase with the wheel's slots (as a real ticker
// does) must still fire an item whose deadline falls later in the slot
// the last Advance stopped in, at the next Advance, not a turn later.
func TestWheelFiresItemLaterInTheCurrentSlot(t *testing.T) {
	t0 := time.Unix(30000, 0)
	w := NewWheel[int](t0, WheelOptions{Tick: 250 * time.Millisecond, Slots: 64})
	w.Add(1, t0.Add(1100*time.Millisecond)) // slot [1000, 1250) ms
	var fired []time.Duration
	fire := func(_ int, now time.Time) (time.Time, bool) {
		fired = append(fired, now.Sub(t0))
		return time.Time{}, false
	}
	w.Advance(t0.Add(1050*time.Millisecond), fire) // same slot, not yet due
	if len(fired) != 0 {
		t.Fatalf("fired early at %v", fired)
	}
	w.Add(2, t0.Add(1060*time.Millisecond)) // added into the slot just passed
	w.Advance(t0.Add(1300*time.Millisecond), fire)
	if len(fired) != 2 {
		t.Fatalf("fired %d of 2 items at the next Advance (%v); the rest wait a whole turn", len(fired), fired)
	}
}

func TestWheelRescheduleInsideTheCurrentSlot(t *testing.T) {
	t0 := time.Unix(40000, 0)
	w := NewWheel[int](t0, WheelOptions{Tick: time.Second, Slots: 8})
	w.Add(1, t0.Add(100*time.Millisecond))
	n := 0
	fire := func(_ int, now time.Time) (time.Time, bool) {
		n++
		return now.Add(200 * time.Millisecond), n < 2 // again, inside the same 1 s slot
	}
	w.Advance(t0.Add(300*time.Millisecond), fire)
	w.Advance(t0.Add(600*time.Millisecond), fire)
	if n != 2 {
		t.Fatalf("fired %d times, want 2: the rescheduled item was stranded", n)
	}
}
