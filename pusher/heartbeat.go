package pusher

import (
	"time"
)

// nextDeadline is the earliest of: the ping after ActivityTimeout of
// silence, the pong deadline of an outstanding ping, the auth deadline.
func (s *Server) nextDeadline(c *conn) int64 {
	var next int64
	if ping := c.pingSent.Load(); ping != 0 {
		next = ping + int64(s.opts.PongTimeout)
	} else {
		next = c.lastSeen.Load() + int64(s.opts.ActivityTimeout)
	}
	if au := c.authUntil.Load(); au != 0 && au < next {
		next = au
	}
	return next
}

// fire is the wheel callback: it enforces the deadline that brought the
// connection here, if it really passed, and says when to look again.
func (s *Server) fire(c *conn, t time.Time) (time.Time, bool) {
	now := t.UnixNano()
	switch ph := c.phase.Load(); ph {
	case phaseHandshake, phaseVerifying:
		if now < c.closeBy.Load() {
			return unixTime(c.closeBy.Load()), true
		}
		// Claim the connection before aborting it: the upgrade may be
		// turning it open right now (on the loop, or on the pool), and a
		// client that got its 101 must never see a bare FIN after it.
		if !s.abortUnopened(c, ph, "timeout") {
			return s.fire(c, t) // it moved on meanwhile: judge it as it is now
		}
		return t, false
	case phaseClosing:
		if now >= c.closeBy.Load() {
			c.pc.Abort()
			return t, false
		}
		return unixTime(c.closeBy.Load()), true
	case phaseOpen:
		s.heartbeat(c, now)
		return unixTime(s.nextDeadline(c)), c.phase.Load() == phaseOpen
	}
	return t, false
}

// abortUnopened drops a connection that has not turned open, if it is
// still in phase from; it reports whether it did. The compare-and-swap
// claims it first, so that an upgrade finishing at the same moment (on the
// loop, or on the pool) gives up instead of sending a 101 before the FIN.
func (s *Server) abortUnopened(c *conn, from uint32, reason string) bool {
	if !c.phase.CompareAndSwap(from, phaseAborted) {
		return false
	}
	s.opts.Metrics.UpgradeRejected(reason)
	c.pc.Abort()
	return true
}

func (s *Server) heartbeat(c *conn, now int64) {
	if au := c.authUntil.Load(); au != 0 && now >= au {
		s.closeWith(c, CodeUnauthorized, "unauthorized", false)
		return
	}
	if c.transport.sse() {
		s.sseHeartbeat(c, now)
		return
	}
	last, ping := c.lastSeen.Load(), c.pingSent.Load()
	if ping != 0 && last >= ping { // answered: any frame counts
		c.pingSent.CompareAndSwap(ping, 0)
		ping = 0
	}
	switch {
	case ping != 0 && now >= ping+int64(s.opts.PongTimeout):
		s.opts.Metrics.HeartbeatTimeout()
		s.reapDeaf(c)
	case ping == 0 && now >= last+int64(s.opts.ActivityTimeout):
		c.pingSent.Store(now)
		s.send(c, pingFrame)
	}
}

// reapDeaf closes a connection that missed its pong with 4201 and lets
// its descriptor go at once: the peer has shown it is not listening, so
// there is no close handshake to wait for. Its backlog is dropped; the
// close frame goes to the kernel, which sends it before the FIN.
func (s *Server) reapDeaf(c *conn) {
	s.closeWith(c, CodePongTimeout, "pong not received", true)
	if c.code.Load() == uint32(CodePongTimeout) {
		c.pc.Abort()
	}
}
