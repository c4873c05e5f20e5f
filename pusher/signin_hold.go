package pusher

import (
	"sync"

	"github.com/fanout/fanout/protocol"
)

// Commands before sign-in. pusher-js sends its pusher:subscribe commands
// as soon as it is connected and its pusher:signin only once the app's
// user-authentication endpoint has answered, so in AuthRequired mode the
// subscribes of every page load (and of every reconnect) arrive first.
// They are held, in order, and answered once pusher:signin_success has
// gone out, as if they had just arrived. If the signin grace ends first,
// each held channel gets its own pusher:subscription_error (status 401)
// saying how to sign in, then the connection is closed with 4009.
//
// What is held: a subscribe the connection may not make yet (any channel
// but a public one under PublicBeforeSignin), and an unsubscribe or client
// event on a channel that has a command held (so one channel's commands
// keep their order; other channels' are independent). Anything else is
// answered at once, as before.
//
// Bounds: at most App.MaxChannels commands and MaxChannels ×
// heldBytesPerChannel bytes. Past them a subscribe is refused with a
// pusher:subscription_error naming its channel, a client event with a
// pusher:error naming its channel, and an unsubscribe withdraws the
// channel's held commands instead of being held itself.
//
// The holds live in Server.early, keyed by connection, not in conn: an
// idle connection pays nothing for them. Only the connection's loop
// goroutine stores or deletes its entry (beforeSignin, releaseHold,
// OnClose), so no entry outlives its connection; the wheel only loads it.

// heldBytesPerChannel is the byte budget of the hold per channel of
// App.MaxChannels: a subscribe with presence channel_data at its 1 KiB
// limit, its signature and name fit.
const heldBytesPerChannel = 2 << 10

// signinHint is the message of the subscription_error each held channel
// gets when the grace ends without a sign-in.
const signinHint = "sign in first: this app requires authenticated connections (auth.mode: required). " +
	"Configure pusher-js userAuthentication and call pusher.signin() (Laravel Echo: the userAuthentication option and Echo.connector.signin()), " +
	"connect with a token, or set auth.mode: optional for this app"

// signinHold is one connection's commands held until it signs in.
// The loop goroutine adds and releases; the wheel ends it when the grace
// passes; mu orders the two.
type signinHold struct {
	mu    sync.Mutex
	cmds  []heldCommand
	bytes int
	// over: the grace ended; commands are answered with an error at once.
	over bool
}

// heldCommand is one client message, copied out of the read buffer.
type heldCommand struct {
	event   string // protocol.EventSubscribe, EventUnsubscribe or a client event
	channel string
	payload []byte
}

// has reports whether a command for channel is held; mu is held.
func (h *signinHold) has(channel string) bool {
	for _, c := range h.cmds {
		if c.channel == channel {
			return true
		}
	}
	return false
}

// withdraw drops channel's held commands; mu is held.
func (h *signinHold) withdraw(channel string) {
	kept := h.cmds[:0]
	for _, c := range h.cmds {
		if c.channel == channel {
			h.bytes -= len(c.payload)
			continue
		}
		kept = append(kept, c)
	}
	clear(h.cmds[len(kept):])
	h.cmds = kept
}

// subscribed lists, in order, the channels whose last held command is a
// subscribe: those the client is waiting on.
func (h *signinHold) subscribed() []string {
	var out []string
	for i, c := range h.cmds {
		if c.event != protocol.EventSubscribe || laterFor(h.cmds[i+1:], c.channel) {
			continue
		}
		out = append(out, c.channel)
	}
	return out
}

func laterFor(cmds []heldCommand, channel string) bool {
	for _, c := range cmds {
		if c.channel == channel {
			return true
		}
	}
	return false
}

// holdOf returns c's hold, or nil.
func (s *Server) holdOf(c *conn) *signinHold {
	if v, ok := s.early.Load(c); ok {
		return v.(*signinHold)
	}
	return nil
}

// beforeSignin takes a channel command of a connection that has not
// signed in yet (AuthRequired): it reports true when it held the command
// or answered it, false when the caller should process it now. Loop
// goroutine.
func (s *Server) beforeSignin(c *conn, ev *protocol.Inbound, payload []byte) bool {
	channel, public, ok := commandChannel(ev)
	if !ok {
		return false
	}
	h := s.holdOf(c)
	if h != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	pending := h != nil && h.has(channel)
	switch {
	case ev.Event == protocol.EventSubscribe:
		if public && c.app.PublicBeforeSignin && !pending {
			return false
		}
	case !pending: // an unsubscribe or client event with nothing held before it
		return false
	}
	if h == nil {
		if au := c.authUntil.Load(); au != 0 && s.now() >= au {
			h = &signinHold{over: true} // the grace has ended: the 4009 is on its way
		} else {
			h = &signinHold{}
			s.early.Store(c, h) // only this goroutine stores (and OnClose deletes)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	s.hold(c, h, ev.Event, channel, payload)
	return true
}

// commandChannel reads the channel a command concerns and whether it is
// public (needs no channel authorization and is not a user channel); ok
// is false for commands that are never held.
func commandChannel(ev *protocol.Inbound) (channel string, public, ok bool) {
	switch {
	case ev.Event == protocol.EventSubscribe:
		var d protocol.Subscribe
		if protocol.UnmarshalData(ev.Data, &d) != nil || !validHeldName(d.Channel) {
			return "", false, false // answered at once: the name is refused either way
		}
		k := protocol.KindOf(d.Channel)
		return d.Channel, !k.NeedsAuth() && !k.User(), true
	case ev.Event == protocol.EventUnsubscribe:
		var d protocol.Unsubscribe
		if protocol.UnmarshalData(ev.Data, &d) != nil {
			return "", false, false
		}
		return d.Channel, false, true
	case protocol.IsClientEvent(ev.Event):
		return ev.Channel, false, true
	}
	return "", false, false
}

// validHeldName accepts the names a subscribe may carry: Pusher channel
// names and user channels (#server-to-user-ID).
func validHeldName(name string) bool {
	if protocol.KindOf(name).User() {
		_, ok := protocol.UserOf(name)
		return ok
	}
	return protocol.ValidChannelName(name)
}

// hold appends one command to h within its bounds; h.mu is held.
func (s *Server) hold(c *conn, h *signinHold, event, channel string, payload []byte) {
	if h.over { // the grace ended meanwhile: the 4009 follows
		if event == protocol.EventSubscribe {
			s.subscriptionError(c, channel, "AuthError", signinHint, 401)
		}
		return
	}
	limit := c.app.MaxChannels
	if len(h.cmds) >= limit || h.bytes+len(payload) > limit*heldBytesPerChannel {
		switch {
		case event == protocol.EventSubscribe:
			s.subscriptionError(c, channel, "LimitReached",
				"too many commands before sign-in: at most the channel limit are held until pusher:signin", 400)
		case event == protocol.EventUnsubscribe:
			h.withdraw(channel)
		default:
			s.send(c, channelErrorFrame(channel, protocol.CodeSignInFirst,
				"client event on "+channel+" refused: too many commands before sign-in"))
		}
		return
	}
	h.cmds = append(h.cmds, heldCommand{event: event, channel: channel, payload: append([]byte(nil), payload...)})
	h.bytes += len(payload)
}

// releaseHold answers c's held commands in order, now that it has signed
// in (after its signin_success); loop goroutine.
func (s *Server) releaseHold(c *conn) {
	v, ok := s.early.LoadAndDelete(c)
	if !ok {
		return
	}
	h := v.(*signinHold)
	h.mu.Lock()
	cmds, over := h.cmds, h.over
	h.cmds, h.bytes, h.over = nil, 0, true
	h.mu.Unlock()
	if over {
		return // the grace ended first: the connection is closing
	}
	for _, cmd := range cmds {
		s.event(c, cmd.payload)
	}
}

// endHold answers each channel c holds a subscribe for with a
// subscription_error (401, how to sign in), when the signin grace ended;
// the caller closes with 4009 next. Later commands are answered the same
// way at once (the hold is over, or beforeSignin sees the deadline
// passed). Wheel goroutine.
func (s *Server) endHold(c *conn) {
	v, ok := s.early.Load(c)
	if !ok {
		return // nothing held; a command from now on sees the grace is over
	}
	h := v.(*signinHold)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range h.subscribed() {
		s.subscriptionError(c, name, "AuthError", signinHint, 401)
	}
	h.cmds, h.bytes, h.over = nil, 0, true
}

// channelErrorFrame is a pusher:error that names the channel it concerns
// (pusher-js passes it to that channel's bindings as well as the global
// ones).
func channelErrorFrame(channel string, code protocol.ErrorCode, message string) []byte {
	d := append(make([]byte, 0, len(message)+32), `{"message":`...)
	d = protocol.AppendJSONString(d, message)
	d = append(d, `,"code":`...)
	d = append(protocol.AppendCode(d, code), '}')
	return textFrame(protocol.AppendEvent(newEventBuf(len(d)+len(channel)+32), protocol.EventError, channel, string(d), ""))
}

// dropHold forgets c's hold when it closes; loop goroutine.
func (s *Server) dropHold(c *conn) { s.early.Delete(c) }
