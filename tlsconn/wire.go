package tlsconn

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"github.com/fanout/fanout/poller"
)

// Transport modes of a Session's wire.
const (
	modeHello       uint8 = iota // waiting for a complete first record
	modeHandshake                // the pool goroutine runs the handshake
	modeEstablished              // Open and Seal, no goroutine
	modeDetached                 // handed to net/http: a blocking socket
	modeClosed
)

// errWouldBlock tells crypto/tls that no more bytes are buffered now. It
// is a temporary net.Error, which crypto/tls does not record as fatal.
type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tlsconn: no buffered bytes" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

var errWouldBlock net.Error = wouldBlock{}

// wire is the net.Conn under a tls.Conn: bytes from the loop in, records
// out to the poller, or a real socket once detached.
type wire struct {
	mu   sync.Mutex
	mode uint8
	in   []byte // read from the socket, not yet taken by crypto/tls
	out  []byte // records written while established, for Seal and Open
	pc   *poller.Conn
	nc   net.Conn // detached: the socket itself
	// wake: more input or Close, for a handshake waiting in Read
	// (capacity 1); nil once established, so an idle session does not
	// keep it.
	wake chan struct{}
	// While the handshake runs: left is what remains of the record
	// crypto/tls is reading (Read never goes past its end), hand what
	// the record layer will need (nil once established).
	left int
	hand *handover
}

func (w *wire) Read(b []byte) (int, error) {
	w.mu.Lock()
	for {
		switch w.mode {
		case modeDetached:
			w.mu.Unlock()
			return w.nc.Read(b)
		case modeClosed:
			w.mu.Unlock()
			return 0, io.EOF
		}
		if k := w.readable(); k > 0 {
			n := copy(b, w.in[:k])
			if w.in = w.in[n:]; len(w.in) == 0 {
				w.in = nil
			}
			if w.left > 0 {
				w.left -= n
			}
			w.mu.Unlock()
			return n, nil
		}
		if w.mode == modeEstablished {
			w.mu.Unlock()
			return 0, errWouldBlock
		}
		wake := w.wake
		w.mu.Unlock() // the handshake waits for the loop (or Close)
		<-wake
		w.mu.Lock()
	}
}

// readable is how many bytes of in crypto/tls may have now: all of them
// once established; during the handshake only up to the end of the
// record it is reading, and nothing of a record whose header is not
// complete, so that it never holds bytes of the records behind the
// client's Finished (see handover).
func (w *wire) readable() int {
	if w.mode != modeHandshake {
		return len(w.in)
	}
	if w.left == 0 {
		if len(w.in) < recordHeaderLen {
			return 0
		}
		w.left = recordHeaderLen + int(binary.BigEndian.Uint16(w.in[3:5]))
	}
	return min(w.left, len(w.in))
}

func (w *wire) Write(b []byte) (int, error) {
	w.mu.Lock()
	switch w.mode {
	case modeEstablished:
		w.out = append(w.out, b...)
		w.mu.Unlock()
		return len(b), nil
	case modeDetached:
		w.mu.Unlock()
		return w.nc.Write(b)
	case modeClosed:
		w.mu.Unlock()
		return 0, net.ErrClosed
	}
	hand := w.hand
	w.mu.Unlock()
	if hand != nil {
		hand.wrote(b)
	}
	// The handshake's own flight: crypto/tls reuses b, so copy it.
	if err := w.pc.WriteWire(append([]byte(nil), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close ends a handshake waiting for input; a detached socket is closed.
func (w *wire) Close() error {
	w.mu.Lock()
	nc := w.nc
	if w.mode != modeDetached {
		w.mode, w.in = modeClosed, nil
	}
	wake := w.wake
	w.mu.Unlock()
	poke(wake)
	if nc != nil {
		return nc.Close()
	}
	return nil
}

// poke wakes a Read waiting on wake, if any; a token already there will.
func poke(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

func (w *wire) LocalAddr() net.Addr {
	if nc := w.detached(); nc != nil {
		return nc.LocalAddr()
	}
	return &net.TCPAddr{}
}

func (w *wire) RemoteAddr() net.Addr {
	if nc := w.detached(); nc != nil {
		return nc.RemoteAddr()
	}
	return &net.TCPAddr{}
}

// Deadlines only matter on a detached socket: before that the caller's
// upgrade deadline and the handshake context bound the wait.
func (w *wire) SetDeadline(t time.Time) error {
	if nc := w.detached(); nc != nil {
		return nc.SetDeadline(t)
	}
	return nil
}

func (w *wire) SetReadDeadline(t time.Time) error {
	if nc := w.detached(); nc != nil {
		return nc.SetReadDeadline(t)
	}
	return nil
}

func (w *wire) SetWriteDeadline(t time.Time) error {
	if nc := w.detached(); nc != nil {
		return nc.SetWriteDeadline(t)
	}
	return nil
}

func (w *wire) detached() net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nc
}
