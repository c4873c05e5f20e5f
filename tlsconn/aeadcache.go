package tlsconn

import (
	"crypto/cipher"
	"sync"
	"time"
)

// An AES-GCM state (expanded key schedule and GHASH table) is about
// 800 bytes, and building one costs about as much as sealing a
// broadcast's record. So a connection keeps its write AEAD while it is
// sent to, and an idle one drops it: the warm set lists the record layers
// holding one, and a sweep every period drops it from those that sealed
// nothing since the sweep before (so after one to two periods of quiet).

// aeadBox holds a built AEAD behind one atomic pointer.
type aeadBox struct{ a cipher.AEAD }

// warmSet is the Server's list of record layers that hold their write
// AEAD, and the goroutine that sweeps it.
type warmSet struct {
	mu   sync.Mutex
	list []*records
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newWarmSet(period time.Duration) *warmSet {
	w := &warmSet{stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(period)
	return w
}

func (w *warmSet) run(period time.Duration) {
	defer close(w.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.sweep()
		}
	}
}

// close stops the sweeps; later calls do nothing.
func (w *warmSet) close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
	})
}

func (w *warmSet) add(r *records) {
	w.mu.Lock()
	w.list = append(w.list, r)
	w.mu.Unlock()
}

// sweep drops the write AEAD of each listed record layer that did not
// use it since the last sweep. A seal racing with the drop finds the
// layer unlisted and lists it again (see writeAEAD), so none keeps an
// AEAD unlisted.
func (w *warmSet) sweep() {
	w.mu.Lock()
	list := w.list
	w.list = nil
	w.mu.Unlock()
	kept := list[:0]
	for _, r := range list {
		if r.used.Swap(false) {
			kept = append(kept, r)
			continue
		}
		r.listed.Store(false)
		r.wbox.Store(nil)
		if r.used.Load() && r.listed.CompareAndSwap(false, true) {
			kept = append(kept, r) // sealed meanwhile and saw itself listed
		}
	}
	clear(list[len(kept):]) // no pointers left behind in the spare capacity
	w.mu.Lock()
	w.list = append(w.list, kept...)
	w.mu.Unlock()
}

// size is how many record layers hold their write AEAD (for tests).
func (w *warmSet) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.list)
}

// writeAEAD returns the AEAD of the current write key, built if the
// layer does not hold it, and marks it used; with a warm set the layer
// keeps it until a sweep finds it idle.
func (r *records) writeAEAD() cipher.AEAD {
	if b := r.wbox.Load(); b != nil {
		if !r.used.Load() { // a plain load; the store only once per sweep
			r.used.Store(true)
		}
		return b.a
	}
	a := r.out.aead(&suites[r.suite])
	if r.warm == nil {
		return a
	}
	r.wbox.Store(&aeadBox{a})
	r.used.Store(true)
	if r.listed.CompareAndSwap(false, true) {
		r.warm.add(r)
	}
	return a
}

// rekeyed forgets the write AEAD after the write key moved on.
func (r *records) rekeyed() { r.wbox.Store(nil) }
