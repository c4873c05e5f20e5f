package poller

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A ring that fails. io_uring_enter(2) can fail for good on a ring that
// worked until then: EBADF or ENXIO once its descriptor or its mapping is
// gone, EFAULT or EINVAL when its memory or its state is no longer what
// the kernel expects. A SendBatch then cannot read the completions of
// the sends the kernel took, and each of those holds its connection's
// lock. Rather than hold them for ever (or stop the process), the batch
// retires the ring:
//
//   - a send whose completion was read is settled as usual;
//   - a send the kernel did not take is written with writev(2), as after
//     a submission the kernel refused (ENOMEM);
//   - a send the kernel took but whose completion cannot be read may have
//     gone out whole, in part or not at all. Continuing the connection
//     either way could put a torn WebSocket frame on the wire, and a
//     reader of RFC 6455 frames (section 5.2) has nothing to resynchronise
//     on after one, so the connection is shut down as after a write
//     error and its client reconnects; Flush reports it with
//     ErrSendInDoubt, and so does Handler.OnClose once the loop closes
//     it, so that the handler counts it as ended by the server, not as
//     the client's end-of-file;
//   - the ring's descriptor is closed, which makes the kernel cancel what
//     it still holds (unless EBADF or EOPNOTSUPP said the descriptor is
//     no longer the ring's), and every later Flush writes as
//     Conn.WriteBatch does;
//   - a ring whose wait the kernel keeps refusing for now (EAGAIN,
//     EBUSY) while no completion arrives is stuck, and retired the same
//     way (reapTaken);
//   - a ring whose kernel dropped a submission (its index array, which
//     the batch sets once, points past the queue: the ring's memory is
//     not what the batch wrote) is retired the same way before any wait:
//     the kernel counts a dropped SQE as taken and never completes it, so
//     a wait for it would hold its connection's lock for ever
//     (ErrSubmissionDropped).

// ErrRingFailed is what SendBatch.Err wraps, with the errno, once the
// batch's ring failed.
const ErrRingFailed = Error("poller: io_uring failed")

// ErrSendInDoubt is Flush's error for a connection whose send the kernel
// held when the ring failed: its bytes may have gone out whole, in part
// or not at all, so the connection was shut down. Handler.OnClose gets
// it too, for that connection.
const ErrSendInDoubt = Error("poller: io_uring failed with this send in flight; connection shut down")

// Err is nil while the batch's ring serves. Once io_uring_enter(2) failed
// on it for good, Err wraps ErrRingFailed and the unix.Errno, and Flush
// writes with writev(2).
func (b *SendBatch) Err() error { return b.err }

// enterFailed returns err if it means the ring is unusable. EINTR is
// retried where it happens; EAGAIN and EBUSY (the kernel is short of
// room for now: some completions must be read first) leave the ring
// usable, and so does ENOMEM on a submission, whose untaken SQEs are
// written with writev(2).
func enterFailed(err error, submit bool) error {
	switch err {
	case nil, unix.EAGAIN, unix.EBUSY:
		return nil
	case unix.ENOMEM:
		if submit {
			return nil
		}
	}
	return err
}

// retire shuts down each connection whose send the ring still holds
// (its outcome is unknown), releases their locks and the ring. The
// SQEs the kernel did not take were written already (submit).
func (b *SendBatch) retire(cause error) {
	for i := range b.ents {
		e := &b.ents[i]
		if !e.inRing {
			continue
		}
		e.inRing = false
		e.c.doubt = true
		e.c.failLocked()
		e.err = ErrSendInDoubt
		e.c.mu.Unlock()
	}
	if cause == unix.EBADF || cause == unix.EOPNOTSUPP {
		// The descriptor is no longer the ring (it was closed, and its
		// number may name another file by now): leave it alone, release
		// only the mappings.
		b.ring.fd = -1
	}
	b.ring.close()
	b.ring = nil
	b.err = fmt.Errorf("%w: io_uring_enter: %w", ErrRingFailed, cause)
}

// ErrSubmissionDropped is the cause in SendBatch.Err when the kernel
// dropped a submission: it found the ring's index array pointing past
// the submission queue (io_uring_setup(2), sq_off.dropped), which the
// batch never writes, so the ring's memory is no longer what the batch
// set up. The dropped send never completes.
const ErrSubmissionDropped = Error("poller: io_uring dropped a submission")
