package pusher

import (
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// handOff gives a plain HTTP request (the HTTP API, health checks) to
// net/http: the socket leaves the poller with the bytes already read (the
// plaintext, over TLS).
func (s *Server) handOff(c *conn, data []byte) {
	if !c.state.HandOff() {
		return // its upgrade deadline passed: the wheel aborted it
	}
	fd := c.pc.Detach()
	f := os.NewFile(uintptr(fd), "http")
	nc, err := net.FileConn(f) // dups the descriptor
	if err != nil {
		// No descriptor left for the dup (EMFILE): answer on the one at
		// hand, which the kernel takes at once, rather than drop the
		// request without a word.
		_, _ = unix.Write(fd, []byte(tooBusy))
	}
	f.Close()
	if err != nil {
		return
	}
	var certMissing bool
	if t := c.tlsSession(); t != nil { // the same TLS session goes on, now blocking
		certMissing = t.ClientCertMissing()
		nc = t.Detach(nc)
	}
	s.handoff.push(&prefixConn{Conn: nc, prefix: append([]byte(nil), data...), certMissing: certMissing})
}

// prefixConn replays the bytes the poller read before the hand-off.
// certMissing: mutual TLS is on and this client presented no
// certificate from the client CA (see mutualTLS).
type prefixConn struct {
	net.Conn
	prefix      []byte
	certMissing bool
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// handoffListener is the net.Listener that net/http serves: its
// connections come from the poller, not from accept(2).
type handoffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	// mu orders push against Close: nothing enters ch once it is closed.
	mu     sync.Mutex
	closed bool
}

// handoffQueue is how many handed-off connections may wait for net/http's
// accept loop. A burst is read by the event loop in one go, while the
// accept loop may not run until it ends: 1,500 health checks at once
// overflowed a queue of 256 on two cores.
const handoffQueue = 4096

func newHandoffListener(addr net.Addr, queue int) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn, queue), done: make(chan struct{})}
}

// push never blocks the loop: when net/http falls that far behind, the
// request is answered 503 (Retry-After: 1) on a goroutine of its own and
// closed, so a publisher can tell it from a network failure.
// Once the listener is closed (net/http stopped serving) the request is
// answered 503 as well: the client learns it was not served.
func (l *handoffListener) push(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		go answerAndClose(c, stopping)
		return
	}
	select {
	case l.ch <- c:
	default:
		go busy(c)
	}
}

// busy answers a request that found the queue full.
func busy(c net.Conn) { answerAndClose(c, tooBusy) }

// tooBusy is the answer to a plain HTTP request the node cannot serve
// now (RFC 9110 section 15.6.4).
const tooBusy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" +
	"Retry-After: 1\r\nConnection: close\r\nContent-Length: 27\r\n\r\n{\"error\":\"server too busy\"}"

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept; the connections still queued, which net/http will
// not take any more, are answered 503 rather than dropped.
func (l *handoffListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	for {
		select {
		case c := <-l.ch:
			go answerAndClose(c, stopping)
		default:
			return nil
		}
	}
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
