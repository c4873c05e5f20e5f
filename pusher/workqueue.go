package pusher

import (
	"errors"
	"sync"

	"github.com/panjf2000/ants/v2"
)

// errQueueFull refuses work the node has no room to queue.
var errQueueFull = errors.New("pusher: work queue full")

// workQueueLen bounds the work waiting for the pool: history reads of
// subscribes with recovery, token checks that may fetch a key set. A
// reconnect storm after a node drains brings one per client within a
// second or two; work beyond the bound is refused (the client is told
// to come back later) rather than held without limit.
const workQueueLen = 1 << 16

// workQueue runs work on the pool in arrival order, with at most the
// pool's capacity of tasks at once. The pool alone
// (non-blocking, a few goroutines per core) refused work as soon as its
// goroutines were busy, so 200 subscribes with recovery arriving within
// 0.1 s had some of their connections closed with 4100 on two cores;
// queued, they wait their turn instead. Submit never blocks: it is
// called from event loops.
type workQueue struct {
	pool *ants.Pool
	mu   sync.Mutex
	q    []func()
	head int // q[head:] waits
	// running is how many drain tasks are on the pool; at most the
	// pool's capacity.
	running int
}

// Submit queues fn; it reports errQueueFull when workQueueLen tasks
// wait. Any goroutine.
func (w *workQueue) Submit(fn func()) error {
	w.mu.Lock()
	if len(w.q)-w.head >= workQueueLen {
		w.mu.Unlock()
		return errQueueFull
	}
	w.q = append(w.q, fn)
	if w.running >= w.pool.Cap() {
		w.mu.Unlock()
		return nil // a running drain task will take it
	}
	w.running++
	w.mu.Unlock()
	if w.pool.Submit(w.drain) != nil {
		// The pool's worker of a drain task that just ended may not be
		// back in the pool yet, or the pool is closing: a goroutine of
		// its own, still counted in running, so that nothing is left
		// waiting with no drain task to run it.
		go w.drain()
	}
	return nil
}

// drain runs queued work until none waits; a pool goroutine.
func (w *workQueue) drain() {
	for {
		w.mu.Lock()
		if w.head == len(w.q) {
			w.q, w.head = w.q[:0], 0
			w.running--
			w.mu.Unlock()
			return
		}
		fn := w.q[w.head]
		w.q[w.head] = nil
		w.head++
		if w.head >= 1024 && w.head*2 >= len(w.q) {
			// Under steady load the queue never empties: move what waits
			// to the front so that append reuses the array.
			n := copy(w.q, w.q[w.head:])
			clear(w.q[n:])
			w.q, w.head = w.q[:n], 0
		}
		w.mu.Unlock()
		fn()
	}
}
