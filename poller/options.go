package poller

import (
	"runtime"
	"time"
)

// Options configure a Poller. The zero value means the documented defaults.
type Options struct {
	// Loops is the number of event loops (each with its own epoll instance,
	// listening socket and read buffer). 0 means runtime.GOMAXPROCS(0).
	Loops int
	// ReadBufferSize is the size of each loop's shared read buffer. 0 means
	// 64 KiB.
	ReadBufferSize int
	// MaxQueuedBytes bounds the bytes a connection may have waiting for its
	// peer; Write returns ErrQueueFull beyond it. 0 means 1 MiB.
	MaxQueuedBytes int
	// Backlog is the listen(2) backlog; the kernel caps it at
	// net.core.somaxconn. 0 means 4096.
	Backlog int
	// AcceptBackoff is how long a loop leaves its listening socket
	// unpolled after accept(2) failed for want of descriptors or memory
	// (EMFILE, ENFILE, ENOBUFS, ENOMEM); a connection closing on that loop
	// ends the pause sooner. 0 means 100 ms.
	AcceptBackoff time.Duration
	// OnAcceptError, when set, is called with each such accept(2) error
	// (a unix.Errno), once per pause, on the loop goroutine; it must not
	// block. Other accept errors concern one connection and are skipped.
	OnAcceptError func(err error)
}

func (o Options) withDefaults() Options {
	if o.Loops <= 0 {
		o.Loops = runtime.GOMAXPROCS(0)
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = 64 << 10
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = 1 << 20
	}
	if o.Backlog <= 0 {
		o.Backlog = 4096
	}
	if o.AcceptBackoff <= 0 {
		o.AcceptBackoff = 100 * time.Millisecond
	}
	return o
}

// Handler receives a connection's events, always on the goroutine of the
// loop that owns it. None of its methods may block.
type Handler interface {
	// OnOpen is called once after accept, before any OnData.
	OnOpen(c *Conn)
	// OnData gets the bytes not consumed before followed by the bytes just
	// read, and returns how many it consumed; the rest is kept and shown
	// again, in front of the next read. data is only valid during the call.
	OnData(c *Conn, data []byte) int
	// OnClose is called exactly once, after the descriptor is closed. err
	// is nil when the peer closed cleanly or the close was asked for;
	// ErrSendInDoubt when the poller shut the connection down because a
	// failing io_uring held its send (SendBatch, ringfail.go), which ends
	// it on the server's side; else the error that ended the read.
	OnClose(c *Conn, err error)
}
