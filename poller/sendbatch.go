package poller

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendBatch gathers the writes of one fan-out (each one Conn.WriteBatch's
// worth: a connection, its frames, its bound) and hands those that can go
// straight to the socket to the kernel together, as IORING_OP_SEND and
// IORING_OP_SENDMSG submissions of one io_uring_enter(2), in place of a
// write(2) or writev(2) each.
//
// Order on a connection. A connection's bytes take the ring only when
// nothing is queued for it, it is not corked and it has no codec; its
// lock is held from the check until its completion has been read, so no
// other write can reach the socket between (a later writer finds the
// lock taken and waits, then finds the unsent rest queued and queues
// behind it). Each send carries MSG_DONTWAIT: the kernel completes it at
// submission with what the socket took, possibly nothing (-EAGAIN), and
// never parks it for later; what it did not take is queued and flushed
// on EPOLLOUT, exactly as after a short write(2). A connection whose lock
// is taken at Flush (another writer, or its loop) is written after the
// ring's locks are released, through Conn.WriteBatch: a Flush never waits
// for a lock while it holds one, so two Flushes cannot deadlock.
//
// A ring that io_uring_enter(2) fails on is retired (ringfail.go): the
// connections whose sends it held are shut down, and the batch writes
// with writev(2) from then on; Err says why.
//
// A SendBatch is used by one goroutine at a time.
type SendBatch struct {
	ring  *ring // nil once it failed
	err   error // why it failed
	ents  []sendEntry
	bufs  [][]byte // every entry's buffers, end to end
	iovs  []unix.Iovec
	msgs  []unix.Msghdr
	later []int // entries whose lock was taken at Flush
	// ringed and short count the sends that went through the ring and
	// those the socket did not take whole (tests).
	ringed, short int
}

// sendEntry is one Add.
type sendEntry struct {
	c            *Conn
	first, count int // range in SendBatch.bufs
	total, limit int
	err          error
	iov          int // start of its iovecs in SendBatch.iovs (sendmsg)
	// inRing: its SQE is filled and its lock held until its completion
	// is read (or the ring fails).
	inRing bool
}

// NewSendBatch sets up a SendBatch with an io_uring of about size
// submissions (a fan-out writes at most this many connections per
// io_uring_enter). The error wraps ErrNoIOUring where the kernel lacks
// io_uring or forbids it (sysctl kernel.io_uring_disabled): write through
// Conn.WriteBatch instead. Close releases the ring.
func NewSendBatch(size int) (*SendBatch, error) {
	r, err := newRing(size)
	if err != nil {
		return nil, err
	}
	return &SendBatch{ring: r}, nil
}

// Close releases the ring, if it has not failed. Any goroutine, once,
// not during a Flush.
func (b *SendBatch) Close() {
	if b.ring != nil {
		b.ring.close()
	}
}

// Add records bufs for c with Conn.WriteBatch's meaning of limit; nothing
// is written before Flush. Neither the buffers' bytes nor bufs itself may
// change until Flush returns; bufs may be reused after Add.
func (b *SendBatch) Add(c *Conn, bufs [][]byte, limit int) {
	total := 0
	for _, x := range bufs {
		total += len(x)
	}
	b.ents = append(b.ents, sendEntry{c: c, first: len(b.bufs), count: len(bufs), total: total, limit: limit})
	b.bufs = append(b.bufs, bufs...)
}

// Len is the number of writes added since the last Flush.
func (b *SendBatch) Len() int { return len(b.ents) }

// Flush writes every added entry and calls done with each one's index (in
// the order of Add) and the error Conn.WriteBatch would have returned:
// nil, ErrQueueFull or ErrClosed; or ErrSendInDoubt where the ring failed
// while the kernel held the entry's send, so that whether its bytes went
// out is unknown: that connection was shut down as after a write error.
// The batch is empty afterwards.
func (b *SendBatch) Flush(done func(i int, err error)) {
	for i := range b.ents {
		e := &b.ents[i]
		if !e.c.mu.TryLock() {
			b.later = append(b.later, i)
			continue
		}
		if b.ring == nil || !b.ringable(e) {
			b.writeLocked(e)
			continue
		}
		if !b.prepare(i) {
			b.submit()
			if b.ring == nil || !b.prepare(i) { // the ring failed in submit
				b.writeLocked(e)
			}
		}
	}
	if b.ring != nil {
		b.submit()
	}
	for _, i := range b.later {
		e := &b.ents[i]
		e.err = e.c.WriteBatch(b.bufs[e.first:e.first+e.count], e.limit)
	}
	for i := range b.ents {
		done(i, b.ents[i].err)
	}
	clear(b.ents)
	clear(b.bufs)
	clear(b.msgs)
	b.ents, b.bufs, b.iovs, b.msgs, b.later = b.ents[:0], b.bufs[:0], b.iovs[:0], b.msgs[:0], b.later[:0]
}

// writeLocked writes e as WriteBatch does, under its lock, and releases
// the lock.
func (b *SendBatch) writeLocked(e *sendEntry) {
	e.err = e.c.writeBatchOpenLocked(b.bufs[e.first:e.first+e.count], e.limit)
	e.c.mu.Unlock()
}

// ringable reports whether e may go through the ring: its connection is
// open with nothing queued, not corked and without a codec. Otherwise
// WriteBatch's own path answers it (a closed connection, a queue to join,
// records to seal). e's lock is held.
func (b *SendBatch) ringable(e *sendEntry) bool {
	c := e.c
	return c.state == stateOpen && c.queued == 0 && !c.corked && c.codec == nil && e.total > 0
}

// prepare fills the SQE of entry i; false means the queue is full.
func (b *SendBatch) prepare(i int) bool {
	sqe := b.ring.next()
	if sqe == nil {
		return false
	}
	e := &b.ents[i]
	e.inRing = true
	sqe.Fd = e.c.fd
	sqe.UserData = uint64(i)
	sqe.OpFlags = unix.MSG_DONTWAIT | unix.MSG_NOSIGNAL
	bufs := b.bufs[e.first : e.first+e.count]
	if len(bufs) == 1 {
		sqe.Opcode = iouringOpSend
		sqe.Addr = uint64(uintptr(unsafe.Pointer(&bufs[0][0])))
		sqe.Len = uint32(len(bufs[0]))
		return true
	}
	// sendmsg(2) with an iovec per buffer. The kernel reads the msghdr and
	// the iovecs while it takes the SQE (within submitAndWait), so the
	// slices may move when they grow for a later entry: the SQE is
	// pointed at them when the batch is submitted (submit).
	e.iov = len(b.iovs)
	for _, x := range bufs {
		if len(x) > 0 {
			v := unix.Iovec{Base: &x[0]}
			v.SetLen(len(x))
			b.iovs = append(b.iovs, v)
		}
	}
	sqe.Opcode = iouringOpSendmsg
	sqe.Len = 1
	return true
}

// submit hands the prepared SQEs to the kernel, waits for their
// completions (immediate: every send is MSG_DONTWAIT) and settles each
// entry under the lock it still holds, then releases it. If
// io_uring_enter fails for good, it settles what completed, writes what
// the kernel did not take and retires the ring (retire).
func (b *SendBatch) submit() {
	r := b.ring
	n := r.pending()
	if n == 0 {
		return
	}
	b.pointMsgs()
	settle := func(ud uint64, res int32) { b.settle(int(ud), res) }
	taken, err := r.submitAndWait(n)
	failed := enterFailed(err, true)
	if failed == nil && r.droppedMore() {
		// The kernel counts the dropped SQE as taken but will never
		// complete it: waiting for it would hold its lock for ever.
		failed = ErrSubmissionDropped
	}
	if failed == nil {
		failed = b.reapTaken(taken, settle)
	}
	if failed != nil {
		// What the kernel completed before it failed is known.
		r.reap(settle)
	}
	if r.pending() > 0 {
		// The kernel did not take the rest of the queue (e.g. ENOMEM):
		// write those entries here, as WriteBatch would, still under
		// their locks.
		head := r.tail - uint32(r.pending())
		for t := head; t != r.tail; t++ {
			i := int(r.sqes[t&r.sqMask].UserData)
			e := &b.ents[i]
			n, werr := writevNonBlocking(int(e.c.fd), b.bufs[e.first:e.first+e.count])
			e.err = e.c.wroteLocked(b.bufs[e.first:e.first+e.count], e.total, n, werr, e.limit)
			e.inRing = false
			e.c.mu.Unlock()
		}
		r.unsubmit()
	}
	if failed != nil {
		b.retire(failed)
	}
}

// reapTaken settles the completions of the taken SQEs, waiting for them
// as needed, and returns the error that makes the ring unusable, if any.
// A wait the kernel refuses for now (EAGAIN, EBUSY) is retried while
// completions still arrive; maxStalls refusals in a row without one mean
// the ring is stuck, and holding its locks any longer would stall the
// connections behind them.
func (b *SendBatch) reapTaken(taken int, settle func(uint64, int32)) error {
	r := b.ring
	for got, stalls := 0, 0; ; {
		k := r.reap(settle)
		got += k
		if got >= taken {
			return nil
		}
		if k > 0 {
			stalls = 0
		}
		err := r.wait(taken - got)
		if failed := enterFailed(err, false); failed != nil {
			return failed
		}
		if err != nil {
			if stalls++; stalls == maxStalls {
				return err
			}
		}
	}
}

// maxStalls bounds the refused waits in a row without a completion
// (reapTaken). Every send completes at submission (MSG_DONTWAIT), so a
// healthy ring needs none.
const maxStalls = 100

// pointMsgs points each pending sendmsg SQE at its msghdr and iovecs, now
// that the slices no longer grow.
func (b *SendBatch) pointMsgs() {
	r := b.ring
	for t := r.tail - uint32(r.pending()); t != r.tail; t++ {
		sqe := &r.sqes[t&r.sqMask]
		if sqe.Opcode != iouringOpSendmsg {
			continue
		}
		e := &b.ents[sqe.UserData]
		end := e.iov
		for _, x := range b.bufs[e.first : e.first+e.count] {
			if len(x) > 0 {
				end++
			}
		}
		b.msgs = append(b.msgs, unix.Msghdr{Iov: &b.iovs[e.iov]})
		m := &b.msgs[len(b.msgs)-1]
		m.SetIovlen(end - e.iov)
	}
	k := len(b.msgs) - 1
	for t := r.tail; t != r.tail-uint32(r.pending()); {
		t--
		sqe := &r.sqes[t&r.sqMask]
		if sqe.Opcode == iouringOpSendmsg {
			sqe.Addr = uint64(uintptr(unsafe.Pointer(&b.msgs[k])))
			k--
		}
	}
}

// settle applies one completion to its entry and releases the lock.
func (b *SendBatch) settle(i int, res int32) {
	e := &b.ents[i]
	var err error
	n := int(res)
	switch {
	case res == -int32(unix.EAGAIN):
		n = 0
	case res < 0:
		n, err = 0, unix.Errno(-res)
	}
	b.ringed++
	if n < e.total {
		b.short++
	}
	e.err = e.c.wroteLocked(b.bufs[e.first:e.first+e.count], e.total, n, err, e.limit)
	e.inRing = false
	e.c.mu.Unlock()
}
