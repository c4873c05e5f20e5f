package poller

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Poller is a set of event loops sharing one TCP address: each loop has
// its own SO_REUSEPORT listening socket, so the kernel spreads accepts.
// No other process may share the port (see exclusive.go): Listen fails
// with an error matching unix.EADDRINUSE ("address already in use").
type Poller struct {
	loops []*Loop
	addr  *net.TCPAddr
	once  sync.Once
	wg    sync.WaitGroup
	// serving: Serve has started the loops.
	serving  atomic.Bool
	unlisten sync.Once // StopAccepting's filter and close
}

// Listen binds addr ("host:port"; port 0 picks a free one) and prepares
// the loops. Call Serve to run them. It fails, with an error for which
// errors.Is(err, unix.EADDRINUSE) holds, when any other socket listens on
// the address, including another process's SO_REUSEPORT listener.
func Listen(addr string, h Handler, o Options) (*Poller, error) {
	o = o.withDefaults()
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("poller: %w", err)
	}
	if err := probeFree(ta); err != nil {
		return nil, fmt.Errorf("poller: listen %s: %w", addr, err)
	}
	p := &Poller{addr: ta}
	for i := 0; i < o.Loops; i++ {
		lfd, err := listenFD(p.addr, o.Backlog)
		if err != nil {
			p.closeLoops()
			return nil, fmt.Errorf("poller: listen %s: %w", addr, err)
		}
		if p.addr.Port == 0 {
			p.addr = boundAddr(lfd, p.addr)
		}
		l, err := newLoop(lfd, h, o)
		if err != nil {
			unix.Close(lfd)
			p.closeLoops()
			return nil, fmt.Errorf("poller: %w", err)
		}
		p.loops = append(p.loops, l)
	}
	fds := make([]int, len(p.loops))
	for i, l := range p.loops {
		fds[i] = l.lfd
	}
	if err := checkAlone(p.addr, fds); err != nil {
		p.closeLoops()
		return nil, fmt.Errorf("poller: listen %s: %w", addr, err)
	}
	return p, nil
}

// Addr is the bound address.
func (p *Poller) Addr() *net.TCPAddr { return p.addr }

// Serve starts the loop goroutines and returns at once.
func (p *Poller) Serve() {
	p.serving.Store(true)
	for _, l := range p.loops {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			l.run()
		}()
	}
}

// StopAccepting closes the listening sockets; open connections go on.
// The connections already in the backlog are accepted first (closing
// the socket would reset them), and it returns once every running loop
// has done so: from then on Conns counts them and a new connection
// attempt is refused.
func (p *Poller) StopAccepting() {
	if !p.serving.Load() {
		p.stopAccept()
		return // the loops take it when they start
	}
	p.unlisten.Do(func() { // once: the sockets may be closed, their numbers reused, after
		p.refuseNew()
		p.stopAccept()
	})
	for _, l := range p.loops {
		select {
		case <-l.unlistened:
		case <-l.done: // stopped (or stopping): closeAll closes the socket
		}
	}
}

func (p *Poller) stopAccept() {
	for _, l := range p.loops {
		l.noAccept.Store(true)
		l.signal()
	}
}

// Close stops every loop, closes every connection (OnClose sees
// ErrClosed) and waits for the loop goroutines to return.
func (p *Poller) Close() {
	p.once.Do(func() {
		for _, l := range p.loops {
			l.stopping.Store(true)
			l.signal()
		}
		p.wg.Wait()
	})
}

func (p *Poller) closeLoops() {
	for _, l := range p.loops {
		unix.Close(l.lfd)
		unix.Close(l.wakefd)
		unix.Close(l.epfd)
	}
}

// Conns returns the number of open connections over all loops.
func (p *Poller) Conns() int {
	n := int64(0)
	for _, l := range p.loops {
		n += l.count.Load()
	}
	return int(n)
}

// Adopt hands an already connected, non-blocking socket to one of the
// loops, which then owns it exactly like an accepted one (Handler.OnOpen
// runs on that loop). It is the way back for a descriptor that left
// through Detach, or one inherited from elsewhere. Safe from any
// goroutine.
func (p *Poller) Adopt(fd int) {
	l := p.loops[fd%len(p.loops)]
	l.adoptMu.Lock()
	l.adopted = append(l.adopted, fd)
	l.adoptMu.Unlock()
	l.signal()
}

// Detach removes c from its loop and hands its descriptor to the caller,
// who then owns it (for example to give a plain HTTP request to net/http).
// Call it only from the handler, on the loop goroutine, during OnData.
func (c *Conn) Detach() int { return c.loop.detach(c) }

func listenFD(a *net.TCPAddr, backlog int) (int, error) {
	family, sa := sockaddr(a)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for _, opt := range []int{unix.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func sockaddr(a *net.TCPAddr) (int, unix.Sockaddr) {
	if ip4 := a.IP.To4(); ip4 != nil || a.IP == nil {
		sa := &unix.SockaddrInet4{Port: a.Port}
		if ip4 != nil {
			copy(sa.Addr[:], ip4)
		}
		return unix.AF_INET, sa
	}
	sa := &unix.SockaddrInet6{Port: a.Port}
	copy(sa.Addr[:], a.IP.To16())
	return unix.AF_INET6, sa
}

func boundAddr(fd int, a *net.TCPAddr) *net.TCPAddr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return a
	}
	out := *a
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		out.Port = s.Port
	case *unix.SockaddrInet6:
		out.Port = s.Port
	}
	return &out
}
