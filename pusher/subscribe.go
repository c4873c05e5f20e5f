package pusher

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/shard"
)

// cacheTTL is how long a cache channel remembers its last event.
const cacheTTL = 30 * time.Minute

type subscribeData struct {
	Channel     string `json:"channel"`
	Auth        string `json:"auth"`
	ChannelData string `json:"channel_data"`
	// Recover asks for the events after a stream position (channels with
	// history): {"epoch": "...", "offset": N}.
	Recover json.RawMessage `json:"recover"`
}

// presenceData is the channel_data of a presence subscription.
type presenceData struct {
	UserID   json.RawMessage `json:"user_id"`
	UserInfo json.RawMessage `json:"user_info"`
}

func (s *Server) subscribe(c *conn, raw json.RawMessage) {
	var d subscribeData
	err := unmarshalData(raw, &d)
	if err == nil && strings.HasPrefix(d.Channel, serverToUserPrefix) {
		s.subscribeUserChannel(c, d.Channel)
		return
	}
	if err != nil || !ValidChannelName(d.Channel) {
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
	kind := kindOf(d.Channel)
	// Before signin in required mode: public channels at most, and only
	// when the app allows it; a valid channel signature does not stand in
	// for the connection's own authentication.
	if app.Auth == AuthRequired && !c.authed && (kind != kindPublic || !app.PublicBeforeSignin) {
		s.subscriptionError(c, d.Channel, "AuthError", "sign in first", 401)
		return
	}
	if kind != kindPublic && !s.authorized(c, &d, kind) {
		s.subscriptionError(c, d.Channel, "AuthError", "invalid signature", 401)
		return
	}
	var member presenceData
	var userID string
	if kind == kindPresence {
		var ok bool
		if member, userID, ok = s.presenceMember(c, d.ChannelData); !ok {
			s.subscriptionError(c, d.Channel, "AuthError", "channel_data must carry a user_id", 400)
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
	if kind == kindPresence {
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
func (s *Server) authorized(c *conn, d *subscribeData, kind channelKind) bool {
	if !c.grants.Empty() && c.grants.Match(c.user, d.Channel) {
		return true
	}
	data := ""
	if kind == kindPresence {
		data = d.ChannelData
	}
	return auth.VerifyChannel(c.app.Key, c.app.Secret, c.socketID(), d.Channel, data, d.Auth)
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
	id := userIDString(m.UserID)
	if id == c.user {
		id = c.user // the member entry shares the connection's copy
	}
	return m, id, id != ""
}

// userIDString accepts a user_id given as a JSON string or number.
func userIDString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// join adds c to a channel's subscribers and tells the directory; the
// first local subscriber tells the broker, and the webhook when the
// directory says it is the cluster's first.
func (s *Server) join(c *conn, name string) *shard.Channel[*conn] {
	ch, _, occupied := s.hub.Subscribe(shard.Key{App: c.app.ID, Name: name}, c)
	c.channels = append(c.channels, ch)
	s.dir.CountSubscription(c.app.ID, name, 1)
	if occupied {
		s.opts.Metrics.ChannelsDelta(1)
		s.opts.Broker.Subscribe(c.app.ID, name)
		s.channelWebhook(c.app, name, "channel_occupied", s.dir.OccupyChannel)
	}
	return ch
}

// memberEvent tells every node's subscribers (but c) about a member.
func (s *Server) memberEvent(c *conn, channel, event string, data []byte) {
	p := broker.Publication{App: c.app.ID, Channel: channel, Event: event, Data: stringData(data), SocketID: c.socketID()}
	if s.publishFromLoop(p) != nil {
		s.opts.Metrics.Refused(RefusedMemberEvent)
	}
}

func memberJSON(userID string, info json.RawMessage) []byte {
	b := append([]byte(`{"user_id":`), appendJSONString(nil, userID)...)
	if len(info) > 0 {
		b = append(b, `,"user_info":`...)
		b = append(b, info...)
	}
	return append(b, '}')
}

// replayCache sends a cache channel's last event, or pusher:cache_miss.
func (s *Server) replayCache(c *conn, name string) {
	if !isCache(name) || c.transport.sse() {
		return
	}
	last, first := s.hub.CacheOrMiss(shard.Key{App: c.app.ID, Name: name}, unixTime(s.now()), cacheMissEvery)
	if last != nil {
		s.send(c, last)
		return
	}
	s.send(c, eventFrame("pusher:cache_miss", name, `"{}"`, ""))
	if first {
		c.app.webhook(WebhookEvent{Name: "cache_miss", Channel: name})
	}
}

// cacheMissEvery bounds the cache_miss webhooks of one channel on one
// node: the backend hears of an empty cache channel once, not once per
// subscriber, and again after this long if it is still empty.
const cacheMissEvery = 5 * time.Second

func (s *Server) subscriptionError(c *conn, channel, typ, msg string, status int) {
	d := []byte(`{"type":`)
	d = appendJSONString(d, typ)
	d = append(d, `,"error":`...)
	d = appendJSONString(d, msg)
	d = append(d, `,"status":`...)
	d = strconv.AppendInt(d, int64(status), 10)
	d = append(d, '}')
	s.send(c, eventFrame("pusher:subscription_error", channel, stringData(d), ""))
}

type unsubscribeData struct {
	Channel string `json:"channel"`
}

func (s *Server) unsubscribe(c *conn, raw json.RawMessage) {
	var d unsubscribeData
	if unmarshalData(raw, &d) != nil {
		return
	}
	if ch := c.findChannel(d.Channel); ch != nil {
		c.endRecovery(d.Channel)
		s.leave(c, ch)
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
	if _, vacated := s.hub.Unsubscribe(ch, c); vacated {
		s.opts.Metrics.ChannelsDelta(-1)
		s.opts.Broker.Unsubscribe(c.app.ID, ch.Key.Name)
		s.channelWebhook(c.app, ch.Key.Name, "channel_vacated", s.dir.VacateChannel)
	}
}
