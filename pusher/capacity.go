package pusher

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Capacity. Every WebSocket connection holds one descriptor, and so does
// everything else the process opens: the HTTP API's requests, the metrics
// listener and its scrapes, Redis connections, webhook requests, log
// files, the event loops' epoll and eventfd descriptors, the delivery
// workers' io_uring descriptors (Options.IOUring). A node that let
// WebSocket clients take every descriptor could no longer accept an API
// request or a scrape, so it admits at most Capacity connections and
// keeps the rest of its open-file limit (RLIMIT_NOFILE, getrlimit(2)) in
// reserve for those.

// ErrAtCapacity is what Ready reports while the node holds Capacity
// connections.
var ErrAtCapacity = errors.New("at capacity")

// DescriptorReserve is the part of an open-file limit of nofile
// descriptors kept from WebSocket clients: a tenth of it, at least 256 (or
// half of a limit under 512). With a limit of 20,000 it is 2,000.
func DescriptorReserve(nofile int) int {
	return max(nofile/10, min(256, nofile/2))
}

// DefaultCapacity is the capacity derived from this process's open-file
// limit: its soft RLIMIT_NOFILE minus DescriptorReserve of it. It is 0
// (no cap) when the limit cannot be read or is unlimited.
func DefaultCapacity() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY || lim.Cur > 1<<31 {
		return 0
	}
	n := int(lim.Cur)
	return n - DescriptorReserve(n)
}

// Capacity is the number of WebSocket connections this node admits; 0
// means no cap.
func (s *Server) Capacity() int { return max(s.opts.MaxConnections, 0) }

// atCapacity reports whether a new WebSocket connection must be refused.
func (s *Server) atCapacity() bool {
	return s.opts.MaxConnections > 0 && s.Conns() >= s.opts.MaxConnections
}

// overCapacity is the answer to an upgrade at capacity (RFC 9110 section
// 15.6.4: 503 with Retry-After, in seconds, section 10.2.3).
const overCapacity = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 42\r\n\r\n" +
	"at capacity: connect to another node later"
