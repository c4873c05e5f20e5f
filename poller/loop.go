package poller

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

const (
	evRead   = unix.EPOLLIN | unix.EPOLLRDHUP
	evWrite  = unix.EPOLLOUT
	acceptAt = 256 // connections accepted per wake-up, so reads are not starved
	// backlogMax bounds the last accept before the listening socket
	// closes: no listen(2) backlog holds more (somaxconn is 16 bits wide).
	backlogMax = 1 << 16
	iovMax     = 64
)

// Loop is one event loop: an epoll instance, a listening socket, an
// fd-indexed table of its connections and one read buffer.
type Loop struct {
	epfd      int
	wakefd    int // eventfd: Stop and StopAccepting
	lfd       int // listening socket, -1 once closed
	listenFD  int // lfd as opened, for StopAccepting's filter (unlisten.go)
	handler   Handler
	maxQueued int
	table     []*Conn
	buf       []byte
	plain     []byte // plaintext of codec connections, read buffer size
	iov       [][]byte
	count     atomic.Int64
	stopping  atomic.Bool
	noAccept  atomic.Bool
	adoptMu   sync.Mutex
	adopted   []int   // descriptors handed in by Adopt, added on the loop
	woken     []*Conn // codec connections that asked for an Open (Wake)
	done      chan struct{}
	// unlistened is closed once the loop has closed its listening
	// socket (after StopAccepting), its backlog taken.
	unlistened chan struct{}
	// Accept back-off (accept.go), touched on the loop goroutine only.
	backoff     time.Duration
	onAcceptErr func(error)
	paused      bool      // the listening socket is out of the epoll set
	freed       bool      // a connection closed since the pause
	resumeAt    time.Time // end of the back-off
}

func newLoop(lfd int, h Handler, o Options) (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	l := &Loop{epfd: epfd, wakefd: wfd, lfd: lfd, listenFD: lfd, handler: h, maxQueued: o.MaxQueuedBytes,
		buf: make([]byte, o.ReadBufferSize), plain: make([]byte, 0, o.ReadBufferSize), iov: make([][]byte, 0, iovMax), done: make(chan struct{}),
		unlistened: make(chan struct{}),
		backoff:    o.AcceptBackoff, onAcceptErr: o.OnAcceptError}
	for _, fd := range []int{lfd, wfd} {
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			unix.Close(epfd)
			unix.Close(wfd)
			return nil, err
		}
	}
	return l, nil
}

// run is the loop goroutine. It returns after Stop, with every connection
// closed and reported to OnClose.
func (l *Loop) run() {
	defer close(l.done)
	events := make([]unix.EpollEvent, 256)
	for !l.stopping.Load() {
		n, err := unix.EpollWait(l.epfd, events, l.waitMillis())
		if err != nil && err != unix.EINTR {
			break
		}
		for i := 0; i < n; i++ {
			l.dispatch(&events[i])
		}
		l.maybeResume()
	}
	l.closeAll()
}

func (l *Loop) dispatch(ev *unix.EpollEvent) {
	fd := int(ev.Fd)
	switch {
	case fd == l.wakefd:
		l.wake()
	case fd == l.lfd:
		l.accept()
	default:
		if fd >= len(l.table) || l.table[fd] == nil {
			return
		}
		c := l.table[fd]
		if ev.Events&evWrite != 0 {
			l.flush(c)
		}
		if ev.Events&(evRead|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			l.read(c)
		}
	}
}

func (l *Loop) wake() {
	var b [8]byte
	_, _ = unix.Read(l.wakefd, b[:])
	if l.noAccept.Load() && l.lfd >= 0 {
		// Connections the kernel completed are in the backlog, their
		// clients may have sent a request already: closing the socket
		// would reset them, so they are taken first.
		l.acceptUpTo(backlogMax)
		unix.Close(l.lfd)
		l.lfd = -1
		l.paused = false
		close(l.unlistened)
	}
	l.adoptMu.Lock()
	fds, woken := l.adopted, l.woken
	l.adopted, l.woken = nil, nil
	l.adoptMu.Unlock()
	for _, fd := range fds {
		l.add(fd)
	}
	for _, c := range woken {
		if int(c.fd) < len(l.table) && l.table[c.fd] == c {
			l.deliver(c, nil)
		}
	}
}

func (l *Loop) accept() { l.acceptUpTo(acceptAt) }

// acceptUpTo accepts until the backlog is empty, at most n connections.
func (l *Loop) acceptUpTo(n int) {
	for i := 0; i < n; i++ {
		fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if resourceErr(err) {
			l.pauseAccept(err) // the backlog keeps the connection for later
		}
		if err != nil {
			return // EAGAIN: nothing left
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		l.add(fd)
	}
}

func (l *Loop) add(fd int) {
	c := &Conn{fd: int32(fd), loop: l}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: evRead, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return
	}
	for fd >= len(l.table) {
		l.table = append(l.table, make([]*Conn, len(l.table)+64)...)
	}
	l.table[fd] = c
	l.count.Add(1)
	l.handler.OnOpen(c)
}

func (l *Loop) read(c *Conn) {
	var r SocketReader
	if c.codec != nil {
		r = c.codec.r
	}
	n, err, eof := readNonBlocking(int(c.fd), l.buf, r)
	if n > 0 {
		l.deliver(c, l.buf[:n])
		return
	}
	if eof {
		l.closeConn(c, err)
	}
}

// deliver gives the handler what was just read (through the codec, if
// any) behind the bytes it did not consume before.
func (l *Loop) deliver(c *Conn, data []byte) {
	if c.codec != nil {
		plain, err := l.open(c, data)
		if err != nil {
			c.Close() // a reply (alert) goes out first
			return
		}
		if data = plain; len(data) == 0 {
			return
		}
	}
	if len(c.tail) > 0 {
		data = c.appendTail(data)
	}
	used := l.handler.OnData(c, data)
	if l.table[c.fd] != c { // detached or closed by the handler
		return
	}
	c.keepTail(data[used:])
}

func (l *Loop) flush(c *Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		c.armLocked(false) // Uncork arms it again
		return
	}
	if c.state == stateClosed || !c.flushLocked(l.iov) {
		return
	}
	c.armLocked(false)
	if c.state == stateFlushing {
		c.shutLocked(unix.SHUT_WR)
	}
}

// modify turns EPOLLOUT interest on or off. Safe from any goroutine: it is
// only called under the connection's lock while the descriptor is open.
func (l *Loop) modify(fd int, out bool) {
	ev := uint32(evRead)
	if out {
		ev |= evWrite
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: ev, Fd: int32(fd)})
}

func (l *Loop) closeConn(c *Conn, err error) {
	c.mu.Lock()
	c.state = stateClosed
	c.queue, c.head, c.queued = nil, 0, 0
	if c.doubt {
		err = ErrSendInDoubt
	}
	c.mu.Unlock()
	unix.Close(int(c.fd))
	l.freed = true
	l.table[c.fd] = nil
	putTail(c.tail)
	c.tail = nil
	l.count.Add(-1)
	l.handler.OnClose(c, err)
}

// detach removes c from the loop without closing its descriptor.
func (l *Loop) detach(c *Conn) int {
	c.mu.Lock()
	c.state = stateClosed
	c.queue, c.head, c.queued = nil, 0, 0
	c.mu.Unlock()
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, int(c.fd), nil)
	l.table[c.fd] = nil
	putTail(c.tail)
	c.tail = nil
	l.count.Add(-1)
	return int(c.fd)
}

func (l *Loop) closeAll() {
	for _, c := range l.table {
		if c != nil {
			l.closeConn(c, ErrClosed)
		}
	}
	if l.lfd >= 0 {
		unix.Close(l.lfd)
	}
	unix.Close(l.wakefd)
	unix.Close(l.epfd)
}

func (l *Loop) signal() {
	var one = [8]byte{1}
	_, _ = unix.Write(l.wakefd, one[:])
}
