package hubcore

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// ErrBacklogFull is a Fanout's refusal of a publish (the endpoint
// answers 503) when FanoutOptions.Backlog publishes are already
// waiting for their writes.
var ErrBacklogFull = errors.New("fan-out backlog full")

// FanoutOptions configure a Fanout. Write is required.
type FanoutOptions struct {
	// Shards is how many goroutines share each publish's subscribers;
	// default GOMAXPROCS.
	Shards int
	// Backlog is how many publishes may wait for their writes before
	// Publish refuses one; default 1024 (at 18,000 subscribers each is
	// tens of milliseconds of writing, so seconds of backlog).
	Backlog int
	// Write hands frames (one or more encoded WebSocket frames) to c
	// without blocking. frames is the caller's to keep: it is not
	// changed after the call.
	Write func(c Conn, frames []byte)
}

// batchBytes caps the frames a shard joins for one Write.
const batchBytes = 64 << 10

// Fanout writes encoded text frames to many connections over a few
// goroutines, each owning a contiguous share of every publish's
// subscribers. Publish frames the message once and only queues it, so
// the publish request is answered at once; a shard that finds several
// publishes to the same subscribers waiting joins their frames into
// one Write per connection (one write syscall instead of one each, as
// a server does under load).
type Fanout struct {
	mu      sync.Mutex // orders publishes the same on every shard
	last    *job       // the latest publish, under mu
	shards  []*shard
	write   func(Conn, []byte)
	pending atomic.Int64 // publishes not yet written by every shard
	backlog int64
}

// shard is one fan-out goroutine's queue.
type shard struct {
	mu   sync.Mutex
	jobs []*job
	wake chan struct{} // one token: jobs is not empty
}

// job is one publish: its frame, its subscribers, and how many shards
// still have to write it.
type job struct {
	subs  []Conn
	frame []byte
	left  atomic.Int32
	done  chan struct{} // closed when every shard has written it
	// after is the previous publish when it went to another snapshot:
	// a connection may sit in another shard's share there, so no shard
	// writes this one before that one is written everywhere (each
	// subscriber gets events in publish order). Nil otherwise.
	after *job
}

// NewFanout starts the shards of a Fanout; they run for the life of
// the process.
func NewFanout(opts FanoutOptions) *Fanout {
	if opts.Shards <= 0 {
		opts.Shards = runtime.GOMAXPROCS(0)
	}
	if opts.Backlog <= 0 {
		opts.Backlog = 1024
	}
	f := &Fanout{shards: make([]*shard, opts.Shards), write: opts.Write, backlog: int64(opts.Backlog)}
	for i := range f.shards {
		f.shards[i] = &shard{wake: make(chan struct{}, 1)}
		go f.run(f.shards[i], i)
	}
	return f
}

// Publish frames msg once and queues it on every shard; it returns
// without waiting for the writes, or ErrBacklogFull. It fits
// Options.Publish.
func (f *Fanout) Publish(subs []Conn, msg []byte) error {
	if f.pending.Add(1) > f.backlog {
		f.pending.Add(-1)
		return ErrBacklogFull
	}
	j := &job{subs: subs, frame: AppendFrame(make([]byte, 0, len(msg)+10), OpText, msg),
		done: make(chan struct{})}
	j.left.Store(int32(len(f.shards)))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last != nil && !sameSnapshot(f.last.subs, subs) {
		j.after = f.last
	}
	f.last = j
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

// run writes shard i's share of every queued publish: subscribers
// [len*i/n, len*(i+1)/n) of its snapshot.
func (f *Fanout) run(s *shard, i int) {
	n := len(f.shards)
	var batch []*job
	for range s.wake {
		s.mu.Lock()
		batch, s.jobs = s.jobs, batch[:0]
		s.mu.Unlock()
		for k := 0; k < len(batch); {
			subs, frames := batch[k].subs, batch[k].frame
			if prev := batch[k].after; prev != nil {
				<-prev.done
			}
			m := k + 1
			if m < len(batch) && sameSnapshot(batch[m].subs, subs) {
				frames = append(make([]byte, 0, batchBytes), frames...)
				for ; m < len(batch) && sameSnapshot(batch[m].subs, subs) &&
					len(frames)+len(batch[m].frame) <= batchBytes; m++ {
					frames = append(frames, batch[m].frame...)
				}
			}
			for _, c := range subs[len(subs)*i/n : len(subs)*(i+1)/n] {
				f.write(c, frames)
			}
			for ; k < m; k++ {
				if batch[k].left.Add(-1) == 0 {
					batch[k].after = nil // every shard has read it
					close(batch[k].done)
					f.pending.Add(-1)
				}
				batch[k] = nil
			}
		}
	}
}

// sameSnapshot reports whether a and b are the same subscriber
// snapshot (the Hub keeps one until membership changes).
func sameSnapshot(a, b []Conn) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
