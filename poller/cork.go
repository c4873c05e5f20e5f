package poller

// Corking holds a connection's writes back, in order, until the state they
// announce is in place (the idea of TCP_CORK, tcp(7), one level up): an
// HTTP response head written with Cork goes out only at Uncork, and
// whatever is written meanwhile queues behind it. The held bytes count
// against the queue bound as any queued bytes do.

// Cork writes head, holding it and every later write in the queue until
// Uncork, CloseWith or Close; call it before the connection's first
// write. A drop (CloseWith with drop set) keeps head, so the peer never
// sees what follows it without it. It returns ErrClosed on a connection
// that is closing or closed, and ErrQueueFull when head alone is over
// limit (limit < 0: unbounded).
func (c *Conn) Cork(head []byte, limit int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrClosed
	}
	c.corked = true
	return c.writeLocked(head, limit)
}

// Uncork lets the held bytes go: what the kernel takes now is written at
// once (one writev(2)), the rest by the loop when the socket is writable.
// Any goroutine; a no-op on a connection that is not corked.
func (c *Conn) Uncork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uncorkLocked()
}

// uncorkIOV bounds the buffers Uncork hands to one writev(2).
const uncorkIOV = 8

func (c *Conn) uncorkLocked() {
	if !c.corked {
		return
	}
	c.corked = false
	if c.queued == 0 || c.state >= stateShut {
		return
	}
	iov := make([][]byte, 0, uncorkIOV)
	if !c.flushLocked(iov) {
		c.armLocked(true)
	}
}
