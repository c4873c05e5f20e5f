package pusher

import (
	"net"
	"os"
	"sync"
)

// handOff gives a plain HTTP request (the HTTP API, health checks) to
// net/http: the socket leaves the poller with the bytes already read.
func (s *Server) handOff(c *conn, data []byte) {
	fd := c.pc.Detach()
	c.phase.Store(phaseClosed)
	f := os.NewFile(uintptr(fd), "http")
	nc, err := net.FileConn(f) // dups the descriptor
	f.Close()
	if err != nil {
		return
	}
	s.handoff.push(&prefixConn{Conn: nc, prefix: append([]byte(nil), data...)})
}

// prefixConn replays the bytes the poller read before the hand-off.
type prefixConn struct {
	net.Conn
	prefix []byte
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
	once sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn, 256), done: make(chan struct{})}
}

// push never blocks the loop: when net/http falls that far behind, the
// request is dropped.
func (l *handoffListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	default:
		c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
