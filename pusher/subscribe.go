package pusher

import (
	"encoding/json"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/shard"
)

// cacheTTL is how long a cache channel remembers its last event.
const cacheTTL = 30 * time.Minute

// presenceData is the channel_data of a presence subscription.
type presenceData struct {
	UserID   json.RawMessage `json:"user_id"`
	UserInfo json.RawMessage `json:"user_info"`
}

func (s *Server) subscribe(c *conn, raw json.RawMessage) {
	var d protocol.Subscribe
	err := protocol.UnmarshalData(raw, &d)
	kind := protocol.KindOf(d.Channel)
	if err == nil && kind.User() {
		s.subscribeUserChannel(c, d.Channel)
		return
	}
	if err != nil || !protocol.ValidChannelName(d.Channel) {
		s.subscriptionError(c, d.Channel, "InvalidChannel", "invalid channel name", 400)
		return
	}
	if c.findChannel(d.Channel) != nil {
		s.send(c, existingSubscriptionFrame(d.Channel))
		return
	}
	app := c.app
	if len(c.channels) >= app.MaxChannels {
		s.subscriptionError(c, d.Channel, "LimitReached", "too many channels on this connection", 400)
		return
	}
	// Before signin in required mode: public channels at most, and only
	// when the app allows it; a valid channel signature does not stand in
	// for the connection's own authentication.
	if app.Auth == AuthRequired && !c.authed.Load() && (kind.NeedsAuth() || !app.PublicBeforeSignin) {
		s.subscriptionError(c, d.Channel, "AuthError", "sign in first", 401)
		return
	}
	if kind.NeedsAuth() && !s.authorized(c, &d, kind) {
		s.subscriptionError(c, d.Channel, "AuthError", "invalid signature", 401)
		return
	}
	var member presenceData
	var userID string
	if kind.Presence() {
		var ok bool
		if member, userID, ok = s.presenceMember(c, d.ChannelData); !ok {
			s.subscriptionError(c, d.Channel, "AuthError", "channel_data must carry a user_id", 400)
			return
		}
		if msg := app.memberLimitError(userID, d.ChannelData); msg != "" {
			s.subscriptionError(c, d.Channel, "LimitReached", msg, 400)
			return
		}
		if ch := s.hub.Lookup(shard.Key{App: app.ID, Name: d.Channel}); ch != nil &&
			ch.MemberCount() >= app.MaxPresenceMembers && !ch.HasMember(userID) {
			s.subscriptionError(c, d.Channel, "LimitReached", "presence channel is full", 403)
			return
		}
	}
	if spec, ok := s.HistoryFor(app.ID, d.Channel); ok {
		c.startRecovery(d.Channel, parseRecover(d.Recover), spec)
	}
	ch := s.join(c, d.Channel)
	if kind.Presence() {
		s.joinPresence(c, ch, userID, member.UserInfo)
		return
	}
	name := d.Channel
	s.whenListening(c.app.ID, name, func() { s.subscribed(c, name, []byte("{}")) })
}

// whenListening runs fn once the broker delivers the channel's events to
// this node (at once for a single node). fn may run on another goroutine:
// it must only send to the connection.
func (s *Server) whenListening(app, channel string, fn func()) {
	if l, ok := s.opts.Broker.(broker.Listener); ok {
		l.AwaitListening(app, channel, fn)
		return
	}
	fn()
}

// authorized checks a private or presence subscription: a token grant or
// the Pusher HMAC signature.
func (s *Server) authorized(c *conn, d *protocol.Subscribe, kind protocol.ChannelKind) bool {
	if !c.grants.Empty() && c.grants.Match(c.user, d.Channel) {
		return true
	}
	data := ""
	if kind.Presence() {
		data = d.ChannelData
	}
	return c.app.signedWith(func(secret string) bool {
		return auth.VerifyChannel(c.app.Key, secret, c.socketID(), d.Channel, data, d.Auth)
	})
}

// presenceMember reads channel_data, or the token's subject when a grant
// authorized the subscription without it.
func (s *Server) presenceMember(c *conn, channelData string) (presenceData, string, bool) {
	var m presenceData
	if channelData == "" {
		if c.user == "" {
			return m, "", false
		}
		return m, c.user, true
	}
	if json.Unmarshal([]byte(channelData), &m) != nil {
		return m, "", false
	}
	id := protocol.UserIDString(m.UserID)
	if id == c.user {
		id = c.user // the member entry shares the connection's copy
	}
	return m, id, id != ""
}

// join adds c to a channel's subscribers and tells the directory; the
// first local subscriber tells the broker, and the webhook when the
// directory says it is the cluster's first.
func (s *Server) join(c *conn, name string) *shard.Channel[*conn] {
	if protocol.KindOf(name).Presence() {
		c.holdMembers(name) // until its member list is sent (subscribed)
	}
	ch, added, occupied := s.hub.Subscribe(shard.Key{App: c.app.ID, Name: name}, c)
	if added {
		s.state.SubscriptionsDelta(c.app.ID, 1)
	}
	c.channels = append(c.channels, ch)
	s.traceConn(c, ConnEvent{Kind: ConnEventSubscribed, Channel: name})
	s.dir.CountSubscription(c.app.ID, name, 1)
	if occupied {
		s.opts.Metrics.ChannelsDelta(1)
		s.opts.Broker.Subscribe(c.app.ID, name)
		s.occupied(c.app, name)
	}
	s.countSubscribers(c.app, name, 1)
	return ch
}

// memberEvent tells every node's subscribers (but c) about a member, with
// the presence version of the change (0 for a single node).
func (s *Server) memberEvent(c *conn, channel, event string, data []byte, version uint64) {
	p := broker.Publication{App: c.app.ID, Channel: channel, Event: event, Data: protocol.StringData(data), SocketID: c.socketID(), PresenceVersion: version}
	if s.publishFromLoop(p) != nil {
		s.opts.Metrics.Refused(RefusedMemberEvent)
	}
}

func memberJSON(userID string, info json.RawMessage) []byte {
	b := append([]byte(`{"user_id":`), protocol.AppendJSONString(nil, userID)...)
	if len(info) > 0 {
		b = append(b, `,"user_info":`...)
		b = append(b, info...)
	}
	return append(b, '}')
}

// replayCache sends a cache channel's last event, or pusher:cache_miss.
func (s *Server) replayCache(c *conn, name string) {
	if !protocol.KindOf(name).Cache() || c.transport.sse() {
		return
	}
	last, first := s.hub.CacheOrMiss(shard.Key{App: c.app.ID, Name: name}, unixTime(s.now()), cacheMissEvery)
	if last != nil {
		s.send(c, last)
		return
	}
	s.send(c, eventFrame(protocol.EventCacheMiss, name, `"{}"`, ""))
	if first {
		c.app.webhook(WebhookEvent{Name: "cache_miss", Channel: name})
	}
}

// cacheMissEvery bounds the cache_miss webhooks of one channel on one
// node: the backend hears of an empty cache channel once, not once per
// subscriber, and again after this long if it is still empty.
const cacheMissEvery = 5 * time.Second

func (s *Server) subscriptionError(c *conn, channel, typ, msg string, status int) {
	s.send(c, subscriptionErrorFrame(channel, typ, msg, status))
}

func (s *Server) unsubscribe(c *conn, raw json.RawMessage) {
	var d protocol.Unsubscribe
	if protocol.UnmarshalData(raw, &d) != nil {
		return
	}
	if ch := c.findChannel(d.Channel); ch != nil {
		c.endRecovery(d.Channel)
		s.leave(c, ch)
		s.traceConn(c, ConnEvent{Kind: ConnEventUnsubscribe, Channel: d.Channel})
	}
}

// leave removes c from ch: presence first, then the subscription; the last
// local subscriber tells the broker, and the webhook when the directory
// says it is the cluster's last.
func (s *Server) leave(c *conn, ch *shard.Channel[*conn]) {
	if i := c.subscribed(ch); i >= 0 {
		last := len(c.channels) - 1
		c.channels[i] = c.channels[last]
		c.channels[last] = nil
		c.channels = c.channels[:last]
		if len(c.channels) == 0 {
			c.channels = nil
		}
	}
	for i, m := range c.memberships() {
		if m.ch != ch {
			continue
		}
		c.dropMembership(i)
		s.leavePresence(c, ch, m.user)
		break
	}
	s.dir.CountSubscription(c.app.ID, ch.Key.Name, -1)
	s.countSubscribers(c.app, ch.Key.Name, -1)
	removed, vacated := s.hub.Unsubscribe(ch, c)
	if removed {
		s.state.SubscriptionsDelta(c.app.ID, -1)
	}
	if vacated {
		s.opts.Metrics.ChannelsDelta(-1)
		s.opts.Broker.Unsubscribe(c.app.ID, ch.Key.Name)
		s.vacated(c.app, ch.Key.Name)
	}
}
