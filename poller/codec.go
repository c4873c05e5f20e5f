package poller

// Codec transforms a connection's bytes between the wire and the handler,
// for example TLS records (RFC 8446 section 5). With a codec set, OnData
// sees plaintext and Write, WriteLimit and CloseWith take plaintext.
//
// The poller calls Open and Seal with the connection's lock held, so the
// records a codec produces reach the socket in the order it produced them
// (TLS sequence numbers are implicit). Neither may block.
type Codec interface {
	// Open takes bytes just read from the socket (nil when the codec asked
	// for a call with Conn.Wake) and appends the plaintext they complete
	// to dst. reply is wire bytes the codec must send in answer (an alert,
	// a key update); it goes out before any later write. A non-nil err
	// ends the connection (after reply is flushed).
	Open(dst, wire []byte) (plain, reply []byte, err error)
	// Seal returns the wire form of plaintext. The result belongs to the
	// poller until written: the codec must not reuse it.
	Seal(plaintext []byte) ([]byte, error)
}

// SocketReader is a Codec that reads the socket itself: the loop calls
// ReadSocket instead of read(2) and hands what it returns to Open. Kernel
// TLS needs it: a record that is not application data comes with its
// type in a recvmsg(2) control message. ReadSocket has read(2)'s results
// (0 and no error: end of file; EAGAIN, EINTR) and is called on the loop
// goroutine without the connection's lock.
type SocketReader interface {
	ReadSocket(fd int, b []byte) (int, error)
}

// AppendSealer is a Codec that seals into a buffer the poller lends it
// (seal.go): the steady write path then allocates nothing, and frames
// written together may share records.
type AppendSealer interface {
	// AppendSeal appends the wire form of the bytes of bufs, taken one
	// after the other as one plaintext, to dst and returns it. The codec
	// keeps no reference to dst or bufs. A non-nil err ends the
	// connection.
	AppendSeal(dst []byte, bufs [][]byte) ([]byte, error)
}

// codecRef holds a Codec behind one pointer: a connection without one
// pays 8 bytes, not an interface's 16, and stays in its size class.
// r is k as a SocketReader and as k as an AppendSealer, each or nil.
type codecRef struct {
	k  Codec
	r  SocketReader
	as AppendSealer
}

// SetCodec makes k the connection's codec. Set it in OnOpen, before any
// byte is read.
func (c *Conn) SetCodec(k Codec) {
	r, _ := k.(SocketReader)
	c.mu.Lock()
	as, _ := k.(AppendSealer)
	c.codec = &codecRef{k, r, as}
	c.mu.Unlock()
}

// QueuedLocked is Queued for a codec's Open or Seal, which the poller
// calls with the connection's lock held.
func (c *Conn) QueuedLocked() int { return c.queued }

// Codec returns the connection's codec, or nil.
func (c *Conn) Codec() Codec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codec == nil {
		return nil
	}
	return c.codec.k
}

// WriteWire writes bytes already in wire form, past the codec (a TLS
// handshake flight, written by the codec itself). It never blocks and
// ignores the queue bound.
func (c *Conn) WriteWire(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return ErrClosed
	}
	return c.writeRawLocked(b, -1)
}

// Wake asks the loop to call the codec's Open with no new bytes and hand
// the plaintext to OnData, as after a read: for bytes the codec holds
// that no readiness event will announce (application data that arrived
// with the last handshake flight). Safe from any goroutine.
func (c *Conn) Wake() {
	l := c.loop
	l.adoptMu.Lock()
	l.woken = append(l.woken, c)
	l.adoptMu.Unlock()
	l.signal()
}

// openLocked runs the read path through the codec: it returns the
// plaintext of wire (in the loop's plain buffer) or an error that ends
// the connection.
func (l *Loop) open(c *Conn, wire []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return nil, ErrClosed
	}
	plain, reply, err := c.codec.k.Open(l.plain[:0], wire)
	if cap(plain) > cap(l.plain) {
		l.plain = plain[:0] // keep the grown buffer for the loop
	}
	if len(reply) > 0 && c.state < stateShut {
		_ = c.writeRawLocked(reply, -1)
	}
	return plain, err
}
