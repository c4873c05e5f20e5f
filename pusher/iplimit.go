package pusher

import (
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/fanout/fanout/ratelimit"
	"golang.org/x/sys/unix"
)

// Per-client limits. One source address may hold Options.PerIP.MaxConns
// connections and start upgrades (WebSocket and event streams alike) at
// Options.PerIP.Rate a second; past either it is answered 429 Too Many
// Requests with Retry-After (RFC 6585 section 4) before anything else is
// looked at, and its socket is closed as soon as the answer is written, so
// a client in a reconnect loop holds no descriptor of this node beyond
// the few it has in flight. A connection keeps only its address's Slot
// (two bytes in padding of conn) and gives it back when it closes.

// overIPLimit counts c against its client's address, or answers 429 and
// reports true. head is the request head as read (for X-Forwarded-For
// from trusted proxies); an event-stream request (sse) is answered with
// the JSON error body its other refusals have. Loop goroutine.
func (s *Server) overIPLimit(c *conn, head []byte, sse bool) bool {
	if s.ips == nil || c.ipSlot != 0 {
		return false
	}
	addr, ok := peerAddr(c.pc.Fd())
	if !ok {
		return false // not an IP socket: nothing to count it against
	}
	if !s.opts.TrustedProxies.Empty() {
		addr = s.opts.TrustedProxies.Client(addr, head)
	}
	slot, why, wait := s.ips.Acquire(addr, s.now())
	if why == ratelimit.None {
		c.ipSlot = slot
		return false
	}
	reason, msg := "ip_connections", "too many connections from your address"
	if why == ratelimit.UpgradeRate {
		reason, msg = "ip_upgrade_rate", "too many connection attempts from your address"
	}
	s.refuseWith(c, http.StatusTooManyRequests, tooMany(msg, wait, sse), reason)
	if c.pc.Queued() == 0 { // the answer is with the kernel: let the socket go now
		c.pc.Abort()
	}
	return true
}

// releaseIP gives back c's count when it closes.
func (s *Server) releaseIP(c *conn) {
	if c.ipSlot != 0 {
		s.ips.Release(c.ipSlot)
		c.ipSlot = 0
	}
}

// tooMany is a 429 response with Retry-After in whole seconds, its body
// msg as text, or as {"error": msg} with asJSON.
func tooMany(msg string, wait time.Duration, asJSON bool) []byte {
	ctype := "text/plain; charset=utf-8"
	if asJSON {
		ctype, msg = "application/json", `{"error":`+strconv.Quote(msg)+`}`
	}
	b := make([]byte, 0, 192)
	b = append(b, "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: "...)
	b = strconv.AppendInt(b, int64(ratelimit.RetryAfter(wait)), 10)
	b = append(b, "\r\nContent-Type: "...)
	b = append(b, ctype...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, msg...)
}

// peerAddr is the address of a socket's peer (getpeername(2)).
func peerAddr(fd int) (netip.Addr, bool) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return netip.Addr{}, false
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr), true
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap(), true
	}
	return netip.Addr{}, false
}
