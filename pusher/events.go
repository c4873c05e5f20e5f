package pusher

import (
	"errors"

	"github.com/fanout/fanout/protocol"
)

// event dispatches one Pusher event from a client.
func (s *Server) event(c *conn, payload []byte) {
	ev, err := protocol.DecodeInbound(payload)
	if err != nil {
		var pe protocol.Error
		errors.As(err, &pe)
		s.send(c, errorFrame(pe.Code, pe.Message))
		return
	}
	switch ev.Event {
	case protocol.EventPing:
		s.send(c, pongFrame)
		return
	case protocol.EventPong:
		return
	case protocol.EventSignin:
		s.signin(c, ev.Data)
		return
	}
	if c.app.Auth == AuthRequired && !c.authed.Load() && s.beforeSignin(c, &ev, payload) {
		return // held until pusher:signin (signin_hold.go), or refused naming its channel
	}
	switch {
	case ev.Event == protocol.EventSubscribe:
		s.subscribe(c, ev.Data)
	case ev.Event == protocol.EventUnsubscribe:
		s.unsubscribe(c, ev.Data)
	case protocol.IsClientEvent(ev.Event):
		s.clientEvent(c, &ev, len(payload))
	default:
		s.send(c, errorFrame(protocol.CodeUnknownEvent, "unknown event "+truncate(ev.Event, 64)))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
