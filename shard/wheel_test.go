package shard

import (
	"testing"
	"time"
)

func TestWheelFiresAtDeadlineWithFakeClock(t *testing.T) {
	t0 := time.Unix(10000, 0)
	w := NewWheel[int](t0, WheelOptions{Tick: 100 * time.Millisecond, Slots: 16})
	w.Add(1, t0.Add(500*time.Millisecond))
	w.Add(2, t0.Add(10*time.Second)) // beyond one turn of the wheel
	var fired []int
	fire := func(i int, now time.Time) (time.Time, bool) { fired = append(fired, i); return time.Time{}, false }
	w.Advance(t0.Add(400*time.Millisecond), fire)
	if len(fired) != 0 {
		t.Fatalf("fired early: %v", fired)
	}
	w.Advance(t0.Add(500*time.Millisecond), fire)
	if len(fired) != 1 || fired[0] != 1 {
		t.Fatalf("fired %v, want [1]", fired)
	}
	for d := time.Second; d < 10*time.Second; d += 100 * time.Millisecond {
		w.Advance(t0.Add(d), fire)
	}
	if len(fired) != 1 {
		t.Fatalf("item 2 fired before its turn: %v", fired)
	}
	w.Advance(t0.Add(10*time.Second), fire)
	if len(fired) != 2 || w.Len() != 0 {
		t.Fatalf("fired %v, len %d", fired, w.Len())
	}
}

func TestWheelRescheduleAndLongPause(t *testing.T) {
	t0 := time.Unix(20000, 0)
	w := NewWheel[string](t0, WheelOptions{Tick: time.Second, Slots: 8})
	w.Add("hb", t0.Add(2*time.Second))
	count := 0
	fire := func(s string, now time.Time) (time.Time, bool) {
		count++
		return now.Add(3 * time.Second), count < 3
	}
	w.Advance(t0.Add(2*time.Second), fire) // fires, rescheduled at +5s
	w.Advance(t0.Add(4*time.Second), fire)
	if count != 1 {
		t.Fatalf("count %d after reschedule", count)
	}
	w.Advance(t0.Add(time.Hour), fire) // a pause longer than the wheel
	if count != 2 {
		t.Fatalf("count %d after long pause", count)
	}
	w.Advance(t0.Add(time.Hour+3*time.Second), fire)
	if count != 3 || w.Len() != 0 {
		t.Fatalf("count %d len %d", count, w.Len())
	}
}

func TestWheelAddInsideFire(t *testing.T) {
	t0 := time.Unix(30000, 0)
	w := NewWheel[int](t0, WheelOptions{})
	w.Add(1, t0)
	w.Advance(t0.Add(time.Second), func(i int, now time.Time) (time.Time, bool) {
		w.Add(i+1, now.Add(time.Second)) // must not deadlock
		return time.Time{}, false
	})
	if w.Len() != 1 {
		t.Fatalf("len %d", w.Len())
	}
}

// An item that Advance has taken out of its slot and is firing is still
// on the wheel for Each: a drain that lists every connection must not
// miss the ones whose heartbeat is being checked at that moment.
func TestWheelEachSeesItemsBeingFired(t *testing.T) {
	t0 := time.Unix(40000, 0)
	w := NewWheel[int](t0, WheelOptions{})
	for i := 1; i <= 3; i++ {
		w.Add(i, t0)
	}
	w.Add(4, t0.Add(time.Hour))
	var seen map[int]int
	w.Advance(t0.Add(time.Second), func(i int, now time.Time) (time.Time, bool) {
		if i == 2 { // 1 is re-added, 2 is being fired, 3 waits its turn
			seen = map[int]int{}
			w.Each(func(j int) { seen[j]++ })
		}
		return now.Add(time.Minute), true
	})
	for i := 1; i <= 4; i++ {
		if seen[i] == 0 {
			t.Errorf("Each during Advance missed item %d: saw %v", i, seen)
		}
	}
	if w.Len() != 4 {
		t.Fatalf("len %d after re-adding, want 4", w.Len())
	}
}
