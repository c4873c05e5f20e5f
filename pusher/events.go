package pusher

import (
	"encoding/json"
	"strings"
)

// Codes of pusher:error events that do not close the connection.
const (
	errInvalidMessage = 4300 // not JSON, or no event name
	errUnknownEvent   = 4305
	errDataTooLarge   = 4302
	errNotAllowed     = 4303 // client events disabled, wrong channel kind, not subscribed
	errSignInFirst    = 4304
)

// inbound is an event from a client.
type inbound struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// unmarshalData reads an event's data, which clients send as an object or
// as a JSON string holding one.
func unmarshalData(raw json.RawMessage, v any) error {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

// event dispatches one Pusher event from a client.
func (s *Server) event(c *conn, payload []byte) {
	var ev inbound
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Event == "" {
		s.send(c, errorFrame(errInvalidMessage, "invalid message: expected a JSON object with an event name"))
		return
	}
	switch ev.Event {
	case "pusher:ping":
		s.send(c, pongFrame)
		return
	case "pusher:pong":
		return
	case "pusher:signin":
		s.signin(c, ev.Data)
		return
	}
	if c.app.Auth == AuthRequired && !c.authed && !(ev.Event == "pusher:subscribe" && c.app.PublicBeforeSignin) {
		s.send(c, errorFrame(errSignInFirst, "sign in first: this app requires authenticated connections"))
		return
	}
	switch {
	case ev.Event == "pusher:subscribe":
		s.subscribe(c, ev.Data)
	case ev.Event == "pusher:unsubscribe":
		s.unsubscribe(c, ev.Data)
	case strings.HasPrefix(ev.Event, "client-"):
		s.clientEvent(c, &ev, len(payload))
	default:
		s.send(c, errorFrame(errUnknownEvent, "unknown event "+truncate(ev.Event, 64)))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
