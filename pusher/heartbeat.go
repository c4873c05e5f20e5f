package pusher

import (
	"time"

	"github.com/fanout/fanout/session"
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
	switch ph := c.state.Phase(); ph {
	case session.Handshake, session.Verifying:
		if now < c.closeBy.Load() {
			return unixTime(c.closeBy.Load()), true
		}
		// Claim the connection before aborting it: the upgrade may be
		// turning it open right now (on the loop, or on the pool), and a
		// client that got its 101 must never see a bare FIN after it.
		if !s.abortUnopened(c, ph, session.UpgradeTimeout, "timeout") {
			return s.fire(c, t) // it moved on meanwhile: judge it as it is now
		}
		return t, false
	case session.Closing, session.Refused:
		if now >= c.closeBy.Load() {
			c.pc.Abort()
			return t, false
		}
		return unixTime(c.closeBy.Load()), true
	case session.Open:
		s.heartbeat(c, now)
		return unixTime(s.nextDeadline(c)), c.state.Phase() == session.Open
	}
	return t, false
}

// abortUnopened drops a connection that has not turned open, if it is
// still in phase from, for cause (reason is the metric label); it reports
// whether it did. The transition claims it first, so that an upgrade
// finishing at the same moment (on the loop, or on the pool) gives up
// instead of sending a 101 before the FIN.
func (s *Server) abortUnopened(c *conn, from session.Phase, cause session.Cause, reason string) bool {
	if !c.state.Abort(from, cause) {
		return false
	}
	s.opts.Metrics.UpgradeRejected(reason)
	c.pc.Abort()
	return true
}

func (s *Server) heartbeat(c *conn, now int64) {
	if au := c.authUntil.Load(); au != 0 && now >= au {
		if !c.authed.Load() { // the signin grace, not a token's expiry
			s.endHold(c)
			c.app.unsigned.Add(1)
		}
		s.closeWith(c, CodeUnauthorized, "unauthorized", session.AuthExpiry, false)
		return
	}
	t := c.transport.of()
	if !t.Pongs() { // a heartbeat every ActivityTimeout, no answer awaited
		if now >= c.lastSeen.Load()+int64(s.opts.ActivityTimeout) {
			c.lastSeen.Store(now)
			s.taken(c, t.Ping(c.pc, s.limit(c)))
		}
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
		if s.taken(c, t.Ping(c.pc, s.limit(c))) {
			s.opts.Metrics.MessagesOut(1, len(pingFrame))
		}
	}
}

// reapDeaf closes a connection that missed its pong with 4201 and lets
// its descriptor go at once: the peer has shown it is not listening, so
// there is no close handshake to wait for. Its backlog is dropped; the
// close frame goes to the kernel, which sends it before the FIN.
func (s *Server) reapDeaf(c *conn) {
	if s.closeWith(c, CodePongTimeout, "pong not received", session.PongTimeout, true) {
		c.pc.Abort()
	}
}
