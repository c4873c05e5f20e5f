package shard

import (
	"sync"
	"time"
)

// Wheel is a hashed timing wheel: items wait in the slot of their
// deadline, and Advance hands due items to a fire function that says when
// (if ever) the item is due again. Moving a deadline later needs no call:
// the fire function sees the item early and returns the new deadline. An
// item costs one 16-byte entry; there is no timer or goroutine per item.
type Wheel[T any] struct {
	mu    sync.Mutex
	tick  int64 // slot width, nanoseconds
	slots [][]entry[T]
	pos   int64 // tick number of the next slot to fire
	due   []entry[T]
	// firing holds the items Advance took out of their slots and is
	// handing to fire, so that Each still sees them.
	firing []entry[T]
}

type entry[T any] struct {
	item T
	at   int64
}

// WheelOptions size a Wheel; the zero value means the defaults.
type WheelOptions struct {
	// Tick is the slot width and the precision of deadlines. 0 means 250 ms.
	Tick time.Duration
	// Slots is the number of slots; deadlines beyond Tick*Slots wait for
	// extra turns. 0 means 1024.
	Slots int
}

// NewWheel returns a wheel whose clock starts at start.
func NewWheel[T any](start time.Time, o WheelOptions) *Wheel[T] {
	if o.Tick <= 0 {
		o.Tick = 250 * time.Millisecond
	}
	if o.Slots <= 0 {
		o.Slots = 1024
	}
	w := &Wheel[T]{tick: int64(o.Tick), slots: make([][]entry[T], o.Slots)}
	w.pos = start.UnixNano() / w.tick
	return w
}

// Add schedules item at deadline at. A deadline in the past fires at the
// next Advance.
func (w *Wheel[T]) Add(item T, at time.Time) {
	w.mu.Lock()
	w.addLocked(entry[T]{item: item, at: at.UnixNano()})
	w.mu.Unlock()
}

func (w *Wheel[T]) addLocked(e entry[T]) {
	t := e.at / w.tick
	if t < w.pos {
		t = w.pos
	}
	i := t % int64(len(w.slots))
	w.slots[i] = append(w.slots[i], e)
}

// Len returns the number of scheduled items.
func (w *Wheel[T]) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, s := range w.slots {
		n += len(s)
	}
	return n
}

// Advance moves the wheel's clock to now and calls fire for every item
// whose deadline has passed. fire returns the item's next deadline and
// whether to keep it. Items in a passed slot whose deadline is still
// ahead (a later turn of the wheel) stay without a call. Advance has one
// caller at a time (the owner's clock goroutine).
func (w *Wheel[T]) Advance(now time.Time, fire func(item T, now time.Time) (next time.Time, keep bool)) {
	nowNs := now.UnixNano()
	w.mu.Lock()
	due := w.collectLocked(nowNs)
	w.firing = due
	w.mu.Unlock()
	for i := range due {
		if next, keep := fire(due[i].item, now); keep {
			w.Add(due[i].item, next)
		}
	}
	w.mu.Lock()
	w.firing = nil
	clear(due) // hold no item past its turn
	if cap(due) > cap(w.due) {
		w.due = due[:0]
	}
	w.mu.Unlock()
}

func (w *Wheel[T]) collectLocked(nowNs int64) []entry[T] {
	due := w.due[:0]
	w.due = nil
	end := nowNs / w.tick
	if end-w.pos >= int64(len(w.slots)) { // a long pause: look at every slot once
		w.pos = end - int64(len(w.slots)) + 1
	}
	for ; w.pos <= end; w.pos++ {
		i := w.pos % int64(len(w.slots))
		slot := w.slots[i]
		keep := slot[:0]
		for _, e := range slot {
			if e.at <= nowNs {
				due = append(due, e)
			} else {
				keep = append(keep, e)
			}
		}
		clear(slot[len(keep):])
		if len(keep) == 0 {
			keep = nil // an empty slot holds no memory
		}
		w.slots[i] = keep
	}
	// The slot of now is only partly due: items later in the same tick
	// stay there, so the next Advance must look at it again rather than
	// leave them for a whole turn of the wheel.
	w.pos = end
	return due
}

// Each calls fn for every scheduled item under the wheel's lock,
// including the items an Advance is firing at this moment (which may be
// scheduled again already: an item can be seen twice); fn must not call
// the wheel.
func (w *Wheel[T]) Each(fn func(T)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, slot := range w.slots {
		for _, e := range slot {
			fn(e.item)
		}
	}
	for _, e := range w.firing {
		fn(e.item)
	}
}
