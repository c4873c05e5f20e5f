package pusher

import (
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/session"
)

// send writes b to c; a full queue makes c a slow consumer.
func (s *Server) send(c *conn, b []byte) {
	if s.write(c, b) {
		s.opts.Metrics.MessagesOut(1, len(b))
	}
}

// write is send without the count (a broadcast counts its recipients once
// per batch); it reports whether b was taken.
func (s *Server) write(c *conn, b []byte) bool {
	return s.taken(c, c.transport.of().Send(c.pc, b, s.limit(c)))
}

// writev is write for several frames in one writev(2).
func (s *Server) writev(c *conn, bs [][]byte) bool {
	return s.taken(c, c.transport.of().SendBatch(c.pc, bs, s.limit(c)))
}

// limit is c's bound on queued bytes: its app's, or the largest.
func (s *Server) limit(c *conn) int {
	if c.app != nil {
		return c.app.MaxQueuedBytes
	}
	return s.maxQueued()
}

// taken reports whether a write succeeded; a full queue makes c a slow
// consumer.
func (s *Server) taken(c *conn, err error) bool {
	if err == poller.ErrQueueFull {
		s.slowConsumer(c)
	}
	return err == nil
}

// slowConsumer closes a connection whose send queue is full with 4100:
// its backlog is dropped so the close frame goes next.
func (s *Server) slowConsumer(c *conn) {
	if c.state.Phase() != session.Open {
		return
	}
	s.opts.Metrics.SlowConsumer()
	s.closeWith(c, CodeOverCapacity, "slow consumer: send queue full", session.SlowConsumer, true)
	c.pc.Close()
}

// closeWith starts a server-side close from any goroutine, for cause:
// c's transport writes its last words (for Pusher codes a pusher:error
// event, which pusher-js reads, then the close frame; on an event stream
// the event, then FIN). The peer's close frame, or the CloseTimeout
// deadline, finishes it. drop discards what is queued first. It reports
// whether this call started the close (false: it was not open, or
// another party closed it first).
func (s *Server) closeWith(c *conn, code frame.StatusCode, reason string, cause session.Cause, drop bool) bool {
	if !c.state.StartClose(uint16(code), cause) {
		return false
	}
	if n := c.transport.of().Close(c.pc, uint16(code), reason, drop); n > 0 {
		s.opts.Metrics.MessagesOut(1, n)
	}
	deadline := s.now() + int64(s.opts.CloseTimeout)
	c.closeBy.Store(deadline)
	s.wheel(c).Add(c, unixTime(deadline))
	return true
}
