package poller

import (
	"bytes"
	"sync"

	"golang.org/x/sys/unix"
)

// Connection states. Transitions happen under Conn.mu:
//
//	open ──CloseWith──▶ closing ──Close──▶ flushing ──queue empty──▶ shut (FIN sent)
//	  │                   │                                             │
//	  ├──Close────────────┴────────────────▶ flushing                   │
//	  └──Abort / write error (any state) ──▶ shut (SHUT_RDWR)            │
//	                                                                     ▼
//	                      loop reads EOF or error ──▶ closed (fd closed, OnClose)
//
// open:     Write accepted.
// closing:  a final frame is queued (CloseWith); Write refused; reads still
//
//	delivered so the handler can see the peer's answer.
//
// flushing: Close asked; the queue drains, then shutdown(SHUT_WR) sends FIN.
// shut:     shutdown(2) was called; only the loop's read of EOF remains.
// closed:   the loop closed the descriptor; every call is a no-op.
const (
	stateOpen uint8 = iota
	stateClosing
	stateFlushing
	stateShut
	stateClosed
)

// ErrClosed is returned by Write on a connection that is closing or closed.
const ErrClosed = Error("poller: connection closed")

// ErrQueueFull is returned by Write when the bytes waiting for the peer would
// exceed Options.MaxQueuedBytes: the peer is a slow consumer.
const ErrQueueFull = Error("poller: send queue full")

// Error is the poller's error kind; its values are constants.
type Error string

func (e Error) Error() string { return string(e) }

// Conn is one accepted connection. Its methods are safe for concurrent use
// (see the package documentation for who may call what).
type Conn struct {
	mu     sync.Mutex
	fd     int32
	state  uint8
	armed  bool // EPOLLOUT is registered
	corked bool // writes are held in the queue until Uncork (cork.go)
	// doubt: a failing io_uring held a send of this connection, which
	// was shut down for it (ringfail.go); OnClose reports ErrSendInDoubt.
	doubt  bool
	loop   *Loop
	queue  [][]byte // pending writes; queue[0][head:] goes first
	head   int
	queued int // unsent bytes in queue
	tail   []byte
	codec  *codecRef // nil: bytes go to the socket as they are
	// Context is the handler's per-connection state. Set it in OnOpen; it
	// is read by the handler only.
	Context any
}

// Fd returns the socket's descriptor (for logs and socket options).
func (c *Conn) Fd() int { return int(c.fd) }

// Write sends b, or queues what the kernel does not take now. b is not
// copied: the caller must not modify it afterwards (broadcasts share one
// encoded frame among all recipients). Write never blocks on the peer.
func (c *Conn) Write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrClosed
	}
	return c.writeLocked(b, c.loop.maxQueued)
}

// WriteLimit is Write with this call's own bound on queued bytes in place
// of Options.MaxQueuedBytes (per-tenant limits on one poller).
func (c *Conn) WriteLimit(b []byte, limit int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrClosed
	}
	return c.writeLocked(b, limit)
}

// WriteBatch is WriteLimit for several buffers that go out together in
// one writev(2) (frames that became due for this connection at the same
// moment). Like Write, the buffers are not copied and bufs itself is not
// kept. With ErrQueueFull (the queue would pass limit) the buffers that
// did not begin to go out are not queued; with ErrClosed none are.
func (c *Conn) WriteBatch(bufs [][]byte, limit int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeBatchOpenLocked(bufs, limit)
}

// writeBatchOpenLocked is WriteBatch under the lock, from the state check
// on (SendBatch calls it for what cannot take its ring).
func (c *Conn) writeBatchOpenLocked(bufs [][]byte, limit int) error {
	if c.state != stateOpen {
		return ErrClosed
	}
	if len(bufs) == 1 {
		return c.writeLocked(bufs[0], limit)
	}
	if c.codec != nil {
		// The codec (TLS) seals what it is given into records that carry
		// sequence numbers: seal the batch as one plaintext, so it leaves
		// in one run of records (seal.go) and none is ever dropped
		// half-way.
		return c.sealWriteLocked(bufs, nil, limit)
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		return nil
	}
	if c.queued > 0 || c.corked {
		if limit >= 0 && c.queued+total > limit {
			return ErrQueueFull
		}
		c.queueLocked(bufs, 0)
		return nil
	}
	n, err := writevNonBlocking(int(c.fd), bufs)
	return c.wroteLocked(bufs, total, n, err, limit)
}

// wroteLocked settles a write of bufs (total bytes) to an empty queue
// that the kernel took n bytes of, or failed with err: the rest is
// queued for EPOLLOUT. As in writeRawLocked, one buffer is kept whole
// whatever limit says; of several, those that did not begin to go out
// are dropped when the rest passes limit (ErrQueueFull).
func (c *Conn) wroteLocked(bufs [][]byte, total, n int, err error, limit int) error {
	if err != nil {
		c.failLocked()
		return ErrClosed
	}
	if n == total {
		return nil
	}
	c.queueLocked(bufs, n)
	c.armLocked(true)
	if len(bufs) > 1 && limit >= 0 && c.queued > limit {
		// The kernel took less than the batch and the rest is over the
		// bound: keep only the frame that began to go out.
		c.dropUnstartedLocked()
		return ErrQueueFull
	}
	return nil
}

// queueLocked appends what is left of bufs after its first sent bytes.
func (c *Conn) queueLocked(bufs [][]byte, sent int) {
	for _, b := range bufs {
		if sent >= len(b) {
			sent -= len(b)
			continue
		}
		if len(b) == 0 {
			continue
		}
		if len(c.queue) == 0 {
			c.head = sent
		}
		c.queue = append(c.queue, b)
		c.queued += len(b) - sent
		sent = 0
	}
}

// CloseWith queues a final frame (typically a WebSocket close frame) and
// refuses further writes; the connection stays readable so the handler can
// wait for the peer's reply, then call Close. With drop set, queued bytes
// that have not started to go out are discarded first (a slow consumer's
// backlog), so the final frame is next on the wire.
func (c *Conn) CloseWith(final []byte, drop bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	if drop && c.codec == nil { // records carry sequence numbers: none may go missing
		c.dropUnstartedLocked()
	}
	c.state = stateClosing
	_ = c.writeLocked(final, -1)
	c.uncorkLocked()
}

// Close flushes what is queued, then sends FIN. The loop closes the
// descriptor when the peer closes its side, or at once after Abort.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stateFlushing {
		return
	}
	c.state = stateFlushing
	c.uncorkLocked()
	if c.queued == 0 {
		c.shutLocked(unix.SHUT_WR)
	}
}

// Abort drops anything queued and shuts the socket down in both
// directions; the loop then closes it. Use it for a peer that does not
// complete a close handshake in time, or a broken socket.
func (c *Conn) Abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return
	}
	c.queue, c.head, c.queued, c.corked = nil, 0, 0, false
	c.shutLocked(unix.SHUT_RDWR)
}

// Queued returns the number of bytes waiting for the peer.
func (c *Conn) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queued
}

// writeLocked passes b through the codec, if any (seal.go), then writes
// it with writeRawLocked.
func (c *Conn) writeLocked(b []byte, limit int) error {
	if c.codec != nil && len(b) > 0 {
		return c.sealWriteLocked(nil, b, limit)
	}
	return c.writeRawLocked(b, limit)
}

// writeRawLocked writes b now if nothing is queued and the connection is
// not corked, else appends it. limit < 0 means unbounded (the final close
// frame is always accepted).
func (c *Conn) writeRawLocked(b []byte, limit int) error {
	return c.putLocked(b, limit, false)
}

// putLocked is writeRawLocked for b that is the caller's scratch when
// scratch is set: what of it the queue keeps is copied first.
func (c *Conn) putLocked(b []byte, limit int, scratch bool) error {
	if len(b) == 0 {
		return nil
	}
	if c.queued > 0 || c.corked {
		if limit >= 0 && c.queued+len(b) > limit {
			return ErrQueueFull
		}
		if scratch {
			b = bytes.Clone(b)
		}
		c.queue = append(c.queue, b)
		c.queued += len(b)
		return nil
	}
	n, err := writeNonBlocking(int(c.fd), b)
	if err != nil {
		c.failLocked()
		return ErrClosed
	}
	if n == len(b) {
		return nil
	}
	if scratch {
		b, n = bytes.Clone(b[n:]), 0
	}
	c.queue = append(c.queue, b)
	c.head, c.queued = n, len(b)-n
	c.armLocked(true)
	return nil
}

// flushLocked writes as much of the queue as the kernel takes. It reports
// whether the queue is now empty.
func (c *Conn) flushLocked(iov [][]byte) bool {
	for c.queued > 0 {
		iov = iov[:0]
		for i, b := range c.queue {
			if i == 0 {
				b = b[c.head:]
			}
			iov = append(iov, b)
			if len(iov) == cap(iov) {
				break
			}
		}
		n, err := writevNonBlocking(int(c.fd), iov)
		if err != nil {
			c.failLocked()
			return true
		}
		if n == 0 {
			return false
		}
		c.consumeLocked(n)
	}
	return true
}

func (c *Conn) consumeLocked(n int) {
	c.queued -= n
	for n > 0 {
		rest := len(c.queue[0]) - c.head
		if n < rest {
			c.head += n
			return
		}
		n -= rest
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.head = 0
	}
	if len(c.queue) == 0 {
		c.queue = nil // hold no buffer while idle
	}
}

// dropUnstartedLocked discards queued buffers that have not begun to go
// out; a partly written head must finish or the peer sees a torn frame,
// and a corked connection's first buffer (what Cork wrote) is kept.
func (c *Conn) dropUnstartedLocked() {
	if len(c.queue) == 0 {
		return
	}
	if c.head == 0 && !c.corked {
		c.queue, c.queued = nil, 0
		return
	}
	first := c.queue[0]
	c.queue = [][]byte{first}
	c.queued = len(first) - c.head
}

func (c *Conn) failLocked() {
	c.queue, c.head, c.queued = nil, 0, 0
	c.shutLocked(unix.SHUT_RDWR)
}

func (c *Conn) shutLocked(how int) {
	if c.state == stateClosed {
		return
	}
	if how == unix.SHUT_RDWR || c.state != stateShut {
		_ = unix.Shutdown(int(c.fd), how)
	}
	c.state = stateShut
}

func (c *Conn) armLocked(on bool) {
	if c.armed == on || c.state == stateClosed {
		return
	}
	c.armed = on
	c.loop.modify(int(c.fd), on)
}
