package nbiohub

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/fanout/fanout/bench/peers/hubcore"
)

// Defaults of the fan-out.
const (
	// defaultBacklog is how many publishes may wait for their writes
	// before a publish is refused; at 18,000 subscribers each is tens of
	// milliseconds of writing, so this is seconds of backlog.
	defaultBacklog = 1024
	// batchBytes caps the frames a shard joins into one write to a
	// connection.
	batchBytes = 64 << 10
)

// ErrBacklogFull is the publish endpoint's refusal (503) when the
// fan-out already has Options.Backlog publishes waiting.
var ErrBacklogFull = errors.New("fan-out backlog full")

// fanout writes encoded frames to many connections over a few
// goroutines, each owning a contiguous share of every publish's
// subscribers. A publish only queues and returns, so the publish
// request is answered at once; a shard that finds several publishes
// waiting for the same subscribers writes their frames to each
// connection in one nbio Write (one syscall) instead of one each.
type fanout struct {
	shards  []*shard
	pending atomic.Int64 // publishes not yet written by every shard
	backlog int64
}

// shard is one fan-out goroutine's queue.
type shard struct {
	f    *fanout
	mu   sync.Mutex
	jobs []*job
	wake chan struct{} // one token: jobs is not empty
	buf  []byte        // joined frames of the batch being written
}

// job is one publish: its frame, its subscribers, and how many shards
// still have to write it.
type job struct {
	subs  []hubcore.Conn
	frame []byte
	left  atomic.Int32
}

func newFanout(shards, backlog int) *fanout {
	if shards <= 0 {
		shards = runtime.GOMAXPROCS(0)
	}
	if backlog <= 0 {
		backlog = defaultBacklog
	}
	f := &fanout{shards: make([]*shard, shards), backlog: int64(backlog)}
	for i := range f.shards {
		s := &shard{f: f, wake: make(chan struct{}, 1)}
		f.shards[i] = s
		go s.run(i, shards)
	}
	return f
}

// publish frames msg once and queues it on every shard; it returns
// without waiting for the writes, or ErrBacklogFull.
func (f *fanout) publish(subs []hubcore.Conn, msg []byte) error {
	if f.pending.Add(1) > f.backlog {
		f.pending.Add(-1)
		return ErrBacklogFull
	}
	j := &job{subs: subs, frame: hubcore.AppendFrame(make([]byte, 0, len(msg)+10), hubcore.OpText, msg)}
	j.left.Store(int32(len(f.shards)))
	for _, s := range f.shards {
		s.mu.Lock()
		s.jobs = append(s.jobs, j)
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// run writes shard i of n of every queued publish: subscribers
// [len*i/n, len*(i+1)/n) of its snapshot.
func (s *shard) run(i, n int) {
	var batch []*job
	for range s.wake {
		s.mu.Lock()
		batch, s.jobs = s.jobs, batch[:0]
		s.mu.Unlock()
		for k := 0; k < len(batch); {
			// Consecutive publishes to the same snapshot go out as one
			// write per connection.
			subs := batch[k].subs
			frames := batch[k].frame
			m := k + 1
			if m < len(batch) && sameSnapshot(batch[m].subs, subs) {
				s.buf = append(s.buf[:0], frames...)
				for ; m < len(batch) && sameSnapshot(batch[m].subs, subs) &&
					len(s.buf)+len(batch[m].frame) <= batchBytes; m++ {
					s.buf = append(s.buf, batch[m].frame...)
				}
				frames = s.buf
			}
			for _, c := range subs[len(subs)*i/n : len(subs)*(i+1)/n] {
				c.(*conn).raw.Write(frames) // copies what the socket does not take
			}
			for ; k < m; k++ {
				if batch[k].left.Add(-1) == 0 {
					s.f.pending.Add(-1)
				}
				batch[k] = nil
			}
		}
	}
}

// sameSnapshot reports whether a and b are the same subscriber
// snapshot (hubcore keeps one until membership changes).
func sameSnapshot(a, b []hubcore.Conn) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
