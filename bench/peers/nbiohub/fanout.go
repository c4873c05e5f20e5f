package nbiohub

import (
	"encoding/binary"
	"runtime"

	"github.com/fanout/fanout/bench/peers/hubcore"
)

// shardQueue is how many publishes a fan-out shard may have waiting (at
// 18,000 subscribers each is some tens of milliseconds of writing); a
// full queue makes the publish endpoint wait, pushing back on
// publishers.
const shardQueue = 8

// fanout writes one encoded frame to many connections over a few
// goroutines, each taking a contiguous share of the subscribers.
type fanout struct {
	shards []chan job
}

type job struct {
	subs  []hubcore.Conn
	frame []byte
	lo    int
	hi    int
}

func newFanout(n int) *fanout {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	f := &fanout{shards: make([]chan job, n)}
	for i := range f.shards {
		f.shards[i] = make(chan job, shardQueue)
		go f.run(f.shards[i])
	}
	return f
}

// publish frames msg once and hands each shard its share; it returns
// without waiting for the writes.
func (f *fanout) publish(subs []hubcore.Conn, msg []byte) {
	frame := appendTextFrame(make([]byte, 0, len(msg)+10), msg)
	n := len(f.shards)
	if len(subs) < 64 {
		n = 1 // not worth waking the others
	}
	for s := range n {
		f.shards[s] <- job{subs: subs, frame: frame, lo: len(subs) * s / n, hi: len(subs) * (s + 1) / n}
	}
}

func (f *fanout) run(jobs <-chan job) {
	for j := range jobs {
		for _, c := range j.subs[j.lo:j.hi] {
			c.(*conn).writeFrame(j.frame)
		}
	}
}

// writeFrame writes an already encoded frame through nbio's
// connection, which never blocks: what the socket does not take now is
// copied to the connection's write queue and sent when it is writable.
func (c *conn) writeFrame(frame []byte) {
	c.raw.Write(frame)
}

// appendTextFrame appends msg as one final, unmasked text frame (RFC
// 6455 section 5.2: a server does not mask).
func appendTextFrame(dst, msg []byte) []byte {
	dst = append(dst, 0x81)
	switch n := len(msg); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, msg...)
}
