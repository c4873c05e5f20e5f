package pusher

import (
	"errors"

	"golang.org/x/sys/unix"
)

// A gather whose ring fails at run time (io_uring_enter(2) returns an
// error such as EBADF, EFAULT or ENXIO): the poller.SendBatch shuts down
// the connections whose sends the ring held, since whether their frames
// went out is unknown and a torn frame would corrupt the stream (pusher-js
// reconnects on the close), and writes with writev(2) from then on. The
// gather logs that once, with the errno, and tells the Observer. The
// loop's OnClose then gets poller.ErrSendInDoubt for each of those
// connections, which ends them on the server's side (session.SendInDoubt,
// handler.go), not as their clients' end-of-file.

// IOUringFailureObserver is an optional extension of Observer, found with
// a type assertion: a delivery worker's io_uring failed after it had
// worked, conns connections whose sends it held were shut down, and the
// worker writes with writev(2) from then on. Called once per ring.
type IOUringFailureObserver interface {
	IOUringFailed(conns int)
}

// ringFailed reports the failure of g's ring, once.
func (g *gather) ringFailed() {
	if g.failed {
		return
	}
	g.failed = true
	g.s.ioUringWorkers.Add(-1)
	err := g.b.Err()
	errno := "none" // the kernel dropped a submission: poller.ErrSubmissionDropped
	if e := unix.Errno(0); errors.As(err, &e) {
		errno = errnoName(e)
	}
	g.s.opts.Logger.Error("io_uring failed: this delivery worker's fan-out writes use writev(2) from now on",
		"err", err, "errno", errno, "connections_shut", g.lost)
	if o, ok := g.s.opts.Metrics.(IOUringFailureObserver); ok {
		o.IOUringFailed(g.lost)
	}
}

// errnoName is the errno's symbol (EBADF), or its number.
func errnoName(e unix.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return e.Error()
}
