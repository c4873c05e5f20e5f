package delivery

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/shard"
)

// chunk is how many subscribers one worker or helper writes to; bigger
// channels are split over the fan-out helpers.
const chunk = 1024

// batch is a delivery worker's scratch space, reused from batch to batch.
type batch[S comparable] struct {
	msgs []Message[S]
	subs []S
	iov  [][]byte
	fan  fan
	// gather is the Sink's Gather of the worker that owns the batch (nil
	// without one, and for Deliver).
	gather Gather[S]
}

// fan tracks the parts of one batch written by helpers.
type fan struct {
	wg           sync.WaitGroup
	frames, size atomic.Int64
}

// task is one part of a big channel's subscribers for a helper.
type task[S comparable] struct {
	msgs []Message[S]
	subs []S
	fan  *fan
}

// deliverBatch encodes one channel's events once and writes them to
// every subscriber, all of a subscriber's frames in one Sink.Write; it
// returns when every write is done, so that the channel's next batch
// comes after it. A channel of more than chunk subscribers is split over
// the idle helpers.
func (e *Engine[S, E]) deliverBatch(b *batch[S], key shard.Key, events []E) {
	start := time.Now()
	b.msgs = e.sink.Encode(key, events, b.msgs[:0])
	defer clear(b.msgs) // hold no messages between batches
	ch := e.hub.Lookup(key)
	if ch == nil {
		return
	}
	subs := ch.Snapshot(b.subs[:0])
	frames, size := 0, 0
	if len(subs) <= chunk {
		frames, size = e.writeAll(b.msgs, subs, &b.iov, b.gather)
	} else {
		f := &b.fan
		f.frames.Store(0)
		f.size.Store(0)
		for i := chunk; i < len(subs); i += chunk {
			t := task[S]{msgs: b.msgs, subs: subs[i:min(i+chunk, len(subs))], fan: f}
			f.wg.Add(1)
			select {
			case e.tasks <- t:
			default: // every helper is busy: write this part here
				e.runTask(t, &b.iov, b.gather)
			}
		}
		frames, size = e.writeAll(b.msgs, subs[:chunk], &b.iov, b.gather)
		f.wg.Wait()
		frames += int(f.frames.Load())
		size += int(f.size.Load())
	}
	clear(subs)
	b.subs = subs[:0]
	e.sink.Delivered(key, events, frames, size, time.Since(start))
}

// help is a fan-out helper: it writes parts of big channels until Close.
// It waits for nothing but write locks (inside Sink.Write).
func (e *Engine[S, E]) help() {
	var iov [][]byte
	g := e.gather()
	defer closeGather(g)
	for {
		select {
		case t := <-e.tasks:
			e.runTask(t, &iov, g)
		case <-e.stop:
			return
		}
	}
}

// runTask writes one part and reports it to its batch.
func (e *Engine[S, E]) runTask(t task[S], iov *[][]byte, g Gather[S]) {
	frames, size := e.writeAll(t.msgs, t.subs, iov, g)
	t.fan.frames.Add(int64(frames))
	t.fan.size.Add(int64(size))
	t.fan.wg.Done()
}

// writeAll writes msgs to each of subs that is live, skipping what
// Frame leaves out and what Hold keeps, in one Sink.Write per
// subscriber (or, with g, one Gather.Add each and one Flush); it returns
// the frames and bytes taken.
func (e *Engine[S, E]) writeAll(msgs []Message[S], subs []S, iovp *[][]byte, g Gather[S]) (frames, size int) {
	iov := *iovp
	for _, s := range subs {
		if !e.sink.Live(s) {
			continue
		}
		iov = iov[:0]
		n := 0
		for _, m := range msgs {
			b := m.Frame(s)
			if b == nil || m.Hold(s, b) {
				continue
			}
			iov = append(iov, b)
			n += len(b)
		}
		switch {
		case len(iov) == 0:
		case g != nil:
			g.Add(s, iov, n)
		case e.sink.Write(s, iov):
			frames += len(iov)
			size += n
		}
	}
	if g != nil {
		frames, size = g.Flush()
	}
	clear(iov)
	*iovp = iov[:0]
	return frames, size
}
