package pusher

import (
	"sync/atomic"

	"github.com/fanout/fanout/broker"
)

// Tap watches a node's traffic for a live console: every event this
// node delivers and the connection log (opens, subscriptions, closes,
// client events). It is set only while someone watches (SetTap), so an
// unwatched node pays one atomic load per delivered batch and per
// lifecycle step.
//
// Methods are called on delivery workers and event loops: they must not
// block or keep p past the call (copy what they keep), and they must
// never fail the caller; a tap that cannot keep up drops and counts.
type Tap interface {
	// Delivered: this node's delivery worker is about to write p to its
	// local subscribers (called once per event per node, with or without
	// subscribers).
	Delivered(p *broker.Publication)
	// Conn: one step of a connection's life.
	Conn(e ConnEvent)
}

// ConnEvent is one step of a connection's life, for Tap.Conn.
type ConnEvent struct {
	Kind      string // one of the ConnEvent* kinds
	App       string
	SocketID  string
	User      string // "" until signed in
	Transport string // "websocket" or "sse"
	Channel   string // subscribe, unsubscribe, client_event
	Event     string // client_event: the event name
	Code      int    // closed: the close code
	By        string // closed: who closed it (client, server)
	Cause     string // closed: why (session.Cause)
}

// Kinds of ConnEvent.
const (
	ConnEventOpened      = "connected"
	ConnEventSubscribed  = "subscribed"
	ConnEventUnsubscribe = "unsubscribed"
	ConnEventClientEvent = "client_event"
	ConnEventClosed      = "closed"
)

// tapBox holds a Tap behind an atomic pointer.
type tapBox struct{ t Tap }

// SetTap installs t (nil removes it); any goroutine. Events already on
// their way may still reach the previous tap.
func (s *Server) SetTap(t Tap) {
	if t == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&tapBox{t})
}

// tapped is the installed Tap, or nil: one atomic load.
func (s *Server) tapped() Tap {
	if b := s.tap.Load(); b != nil {
		return b.t
	}
	return nil
}

// traceConn tells the tap, if any, of one step of c's life.
func (s *Server) traceConn(c *conn, e ConnEvent) {
	t := s.tapped()
	if t == nil || c.app == nil {
		return
	}
	e.App, e.SocketID, e.User, e.Transport = c.app.ID, c.socketID(), c.user, c.transport.String()
	t.Conn(e)
}

// tapField is the Server field SetTap writes.
type tapField = atomic.Pointer[tapBox]
