package pusher

import (
	"encoding/json"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
)

// clientEvent relays a client-* event to the channel's other subscribers
// on every node (never back to the sender).
func (s *Server) clientEvent(c *conn, ev *protocol.Inbound, size int) {
	app := c.app
	kind := protocol.KindOf(ev.Channel)
	switch {
	case !app.ClientEvents:
		s.send(c, errorFrame(protocol.CodeNotAllowed, "client events are not enabled for this app"))
		return
	case !kind.ClientEvents():
		s.send(c, channelErrorFrame(ev.Channel, protocol.CodeNotAllowed, "client event on "+ev.Channel+" refused: client events are only allowed on private and presence channels"))
		return
	}
	ch := c.findChannel(ev.Channel)
	if ch == nil {
		s.send(c, channelErrorFrame(ev.Channel, protocol.CodeNotAllowed, "client event on "+ev.Channel+" refused: this connection has not subscribed to it"))
		return
	}
	if len(ev.Data) > app.MaxEventData {
		s.send(c, channelErrorFrame(ev.Channel, protocol.CodeDataTooLarge, "client event on "+ev.Channel+" refused: event data too large"))
		return
	}
	if !c.allowClientEvent(s.now(), app.ClientEventRate) {
		s.closeWith(c, CodeClientEventLimit, "client event rate limit exceeded", session.ClientEventLimit, false)
		return
	}
	data := string(ev.Data)
	if data == "" {
		data = "null"
	}
	p := broker.Publication{App: app.ID, Channel: ev.Channel, Event: ev.Event, Data: data, SocketID: c.socketID()}
	if kind.Presence() {
		p.UserID = c.memberID(ch)
	}
	if s.publishFromLoop(p) != nil {
		s.opts.Metrics.Refused(RefusedClientEvent)
		s.send(c, errorFrame(protocol.CodeOverCapacity, "server busy: client event refused, retry later"))
		return
	}
	s.traceConn(c, ConnEvent{Kind: ConnEventClientEvent, Channel: ev.Channel, Event: ev.Event})
	app.webhook(WebhookEvent{Name: "client_event", Channel: ev.Channel, Event: ev.Event, Data: data,
		SocketID: p.SocketID, UserID: p.UserID})
}

func (c *conn) memberID(ch *shard.Channel[*conn]) string {
	for _, m := range c.memberships() {
		if m.ch == ch {
			return m.user
		}
	}
	return ""
}

// signin authenticates a connection with HMAC-signed user_data, as
// pusher-js sends it; it also refreshes an expiring token's deadline.
func (s *Server) signin(c *conn, raw json.RawMessage) {
	var d protocol.Signin
	var u protocol.UserData
	if protocol.UnmarshalData(raw, &d) != nil || json.Unmarshal([]byte(d.UserData), &u) != nil || protocol.UserIDString(u.ID) == "" {
		s.send(c, errorFrame(protocol.CodeUnauthorized, "signin: user_data must be a JSON object with an id"))
		return
	}
	if !c.app.signedWith(func(secret string) bool { return auth.VerifyUser(c.app.Key, secret, c.socketID(), d.UserData, d.Auth) }) {
		s.send(c, errorFrame(protocol.CodeUnauthorized, "signin: invalid signature"))
		return
	}
	watchlist, bad := watchlistOf(c.app, d.UserData)
	if bad != "" {
		s.send(c, errorFrame(protocol.CodeUnauthorized, bad))
		return
	}
	c.authed.Store(true)
	c.authUntil.Store(0)
	s.setUser(c, protocol.UserIDString(u.ID))
	s.send(c, textFrame(protocol.AppendSigninSuccess(newEventBuf(2*len(d.UserData)+64), d.UserData)))
	s.watch(c, watchlist)
	s.releaseHold(c) // the commands that came before it, as if they came now
}

// setUser records c as a connection of user id (for terminate_connections).
func (s *Server) setUser(c *conn, id string) {
	if id == c.user {
		return
	}
	if c.user != "" {
		s.removeUser(c, c.user)
	}
	if !c.grants.Empty() { // the grant stays the token's, for a new user too
		c.grants = auth.NewGrants(id, c.grants.Patterns(c.user))
	}
	c.user = id
	if id != "" {
		s.addUser(c, id)
	}
}
