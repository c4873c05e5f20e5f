package pusher

import (
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/session"
)

// OnOpen implements poller.Handler: a fresh socket must send its upgrade
// request within UpgradeTimeout.
func (s *Server) OnOpen(pc *poller.Conn) {
	c := &conn{pc: pc, id: s.node<<32 | uint64(s.seq.Add(1))}
	now := s.now()
	c.lastSeen.Store(now)
	deadline := now + int64(s.opts.UpgradeTimeout)
	c.closeBy.Store(deadline)
	pc.Context = c
	if s.opts.TLS != nil { // the handshake shares the upgrade deadline
		pc.SetCodec(s.opts.TLS.NewSession(pc, unixTime(deadline)))
	}
	s.wheel(c).Add(c, unixTime(deadline))
	if req, ok := s.returning.take(pc.Fd()); ok { // a request net/http handed back
		s.onReturned(c, req)
	}
}

// OnData implements poller.Handler.
func (s *Server) OnData(pc *poller.Conn, data []byte) int {
	c := pc.Context.(*conn)
	c.lastSeen.Store(s.now())
	switch c.state.Phase() {
	case session.Handshake:
		return s.handshake(c, data)
	case session.Verifying:
		// Keep the bytes until the upgrade is decided, but not without
		// bound: a client has no business sending before its 101.
		if len(data) <= s.opts.MaxRequestSize {
			return 0
		}
		if s.abortUnopened(c, session.Verifying, session.RequestTooLarge, "too_large") {
			return len(data)
		}
		return s.OnData(pc, data) // decided meanwhile
	case session.Open, session.Closing:
		if !c.transport.of().Reads() { // an event stream reads nothing
			return len(data)
		}
		return s.frames(c, data)
	}
	return len(data)
}

// OnClose implements poller.Handler: the socket is gone; forget the
// connection everywhere.
func (s *Server) OnClose(pc *poller.Conn, err error) {
	c := pc.Context.(*conn)
	s.releaseIP(c)
	if t := c.tlsSession(); t != nil {
		t.Close()
	}
	ifOpen := session.EOF // the client's FIN or reset, without a close frame
	if err == poller.ErrSendInDoubt {
		// The poller shut it: a failing io_uring held its send
		// (gatherfail.go).
		ifOpen = session.SendInDoubt
	}
	if !c.state.Closed(ifOpen).Admitted() {
		return
	}
	c.dec.Release()
	if c.app == nil {
		return
	}
	if c.app.Auth == AuthRequired {
		s.dropHold(c)
	}
	for len(c.channels) > 0 {
		s.leave(c, c.channels[len(c.channels)-1])
	}
	s.unwatch(c)
	if c.user != "" {
		s.removeUser(c, c.user)
	}
	s.conns.Add(-1)
	c.app.conns.Add(-1)
	s.opts.Metrics.ConnClosed(c.app.ID, int(c.closeCode()))
	if to, ok := s.opts.Metrics.(TransportObserver); ok {
		to.TransportClosed(c.transport.String())
	}
	cause, _ := c.state.Ending()
	if eo, ok := s.opts.Metrics.(EndObserver); ok {
		eo.ConnEnded(cause.By().String(), cause.String())
	}
	s.debug("connection closed", c, "code", c.closeCode(), "closed_by", cause.By(), "cause", cause, "err", err)
	s.traceConn(c, ConnEvent{Kind: ConnEventClosed, Code: int(c.closeCode()), By: cause.By().String(), Cause: cause.String()})
}
