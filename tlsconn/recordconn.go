package tlsconn

import (
	"errors"
	"io"
	"net"
	"sync"
)

// recordConn is a blocking net.Conn over the record layer: a session
// handed to net/http after its handshake (the HTTP API over TLS 1.3).
// net/http reads on one goroutine while a handler writes on another;
// mu keeps the record layer's state and the order of records on the
// socket (a KeyUpdate we answer with goes out before data sealed under
// the next key).
type recordConn struct {
	net.Conn
	mu    sync.Mutex
	rl    *records
	buf   []byte // ciphertext read, taken by the record layer at once
	plain []byte // plaintext not yet read
	err   error  // the read side's end
}

func newRecordConn(nc net.Conn, rl *records) *recordConn {
	return &recordConn{Conn: nc, rl: rl, buf: make([]byte, 4<<10)}
}

func (c *recordConn) Read(b []byte) (int, error) {
	for len(c.plain) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.Conn.Read(c.buf)
		if n > 0 {
			c.mu.Lock()
			plain, reply, oerr := c.rl.open(c.plain[:0], c.buf[:n])
			if len(reply) > 0 {
				_, _ = c.Conn.Write(reply)
			}
			c.mu.Unlock()
			c.plain = plain
			if oerr != nil {
				err = oerr
				var ae AlertError
				if errors.As(oerr, &ae) && ae.Remote && ae.Alert == AlertCloseNotify {
					err = io.EOF
				}
			}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, err // a deadline (net/http's background read): not the end
		}
		if err != nil {
			c.err = err
		}
	}
	n := copy(b, c.plain)
	c.plain = c.plain[n:]
	return n, nil
}

func (c *recordConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.rl.seal(b)
	if err != nil {
		return 0, err
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close sends close_notify (RFC 8446 section 6.1), then closes the socket.
func (c *recordConn) Close() error {
	c.mu.Lock()
	if a := c.rl.closeAlert(AlertCloseNotify); a != nil {
		_, _ = c.Conn.Write(a)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
