package pusher

import (
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/protocol"
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
	return s.taken(c, c.pc.WriteLimit(b, s.limit(c)))
}

// writev is write for several frames in one writev(2).
func (s *Server) writev(c *conn, bs [][]byte) bool {
	return s.taken(c, c.pc.WriteBatch(bs, s.limit(c)))
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
	if c.phase.Load() != phaseOpen {
		return
	}
	s.opts.Metrics.SlowConsumer()
	s.closeWith(c, CodeOverCapacity, "slow consumer: send queue full", true)
	c.pc.Close()
}

// closeWith starts a server-side close from any goroutine: for Pusher
// codes a pusher:error event first (pusher-js reads it), then the close
// frame. The peer's close frame, or the CloseTimeout deadline, finishes it.
func (s *Server) closeWith(c *conn, code frame.StatusCode, reason string, drop bool) {
	if !c.phase.CompareAndSwap(phaseOpen, phaseClosing) {
		return
	}
	c.code.Store(uint32(code))
	var b []byte
	switch {
	case c.transport.sse(): // no close handshake: the event, then FIN
		b = sseClose(code, reason)
		s.opts.Metrics.MessagesOut(1, len(b))
		c.pc.CloseWith(b, drop)
		c.pc.Close()
	case code >= 4000 && !c.echo:
		b = append(b, errorFrame(protocol.ErrorCode(code), reason)...)
		s.opts.Metrics.MessagesOut(1, len(b))
		fallthrough
	default:
		c.pc.CloseWith(frame.AppendClose(b, code, reason), drop)
	}
	deadline := s.now() + int64(s.opts.CloseTimeout)
	c.closeBy.Store(deadline)
	s.wheel(c).Add(c, unixTime(deadline))
}
