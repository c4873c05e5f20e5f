package pusher

import (
	"errors"

	engine "github.com/fanout/fanout/delivery"
	"github.com/fanout/fanout/poller"
	"golang.org/x/sys/unix"
)

// A fan-out's writes gathered into one io_uring_enter(2) (Options.IOUring):
// the delivery engine hands each worker's part of a fan-out (up to 1,024
// subscribers) to a gather, which writes it through a poller.SendBatch.
// Both transports write a batch as poller.Conn.WriteBatch does, which is
// what SendBatch does for each connection.

// IOUringObserver is an optional extension of Observer, found with a
// type assertion: Options.IOUring was set but a delivery worker could
// not set up its ring (the kernel lacks io_uring, or the sysctl
// kernel.io_uring_disabled forbids it), so it writes with writev(2).
type IOUringObserver interface {
	IOUringUnavailable()
}

// Gather implements delivery.Gatherer: nil (write one by one) unless
// Options.IOUring is set and the ring can be set up.
func (k sink) Gather() engine.Gather[*conn] {
	s := k.s
	if !s.opts.IOUring {
		return nil
	}
	b, err := poller.NewSendBatch(sendBatchSize)
	if err != nil {
		s.ioUringOnce.Do(func() {
			s.opts.Logger.Info("io_uring is not available: fan-out writes use writev(2)", "err", err,
				"disabled_by_sysctl", errors.Is(err, unix.EPERM))
		})
		if o, ok := s.opts.Metrics.(IOUringObserver); ok {
			o.IOUringUnavailable()
		}
		return nil
	}
	s.ioUringWorkers.Add(1)
	g := &gather{s: s, b: b}
	g.settle = g.done // one method value, not one per Flush
	return g
}

// sendBatchSize is a gather's ring size: one part of a fan-out.
const sendBatchSize = 1024

// gather is one delivery worker's SendBatch and what it needs to settle
// each write: the connection, its frames and bytes.
type gather struct {
	s            *Server
	b            *poller.SendBatch
	conns        []*conn
	counts       []int32 // frames of each Add
	sizes        []int32 // bytes of each Add
	frames, size int     // taken, during a Flush
	settle       func(i int, err error)
	// lost counts the connections shut down because the ring failed
	// with their sends in flight; failed: that was reported
	// (gatherfail.go).
	lost   int
	failed bool
}

func (g *gather) Add(c *conn, frames [][]byte, size int) {
	g.b.Add(c.pc, frames, g.s.limit(c))
	g.conns = append(g.conns, c)
	g.counts = append(g.counts, int32(len(frames)))
	g.sizes = append(g.sizes, int32(size))
}

func (g *gather) Flush() (frames, size int) {
	g.frames, g.size = 0, 0
	g.b.Flush(g.settle)
	if g.b.Err() != nil {
		g.ringFailed()
	}
	clear(g.conns)
	g.conns, g.counts, g.sizes = g.conns[:0], g.counts[:0], g.sizes[:0]
	return g.frames, g.size
}

// done settles write i as Server.writev does.
func (g *gather) done(i int, err error) {
	if err == poller.ErrSendInDoubt {
		g.lost++
	}
	if g.s.taken(g.conns[i], err) {
		g.frames += int(g.counts[i])
		g.size += int(g.sizes[i])
	}
}

func (g *gather) Close() {
	g.b.Close()
	if !g.failed {
		g.s.ioUringWorkers.Add(-1)
	}
}
