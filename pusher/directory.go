package pusher

import (
	"encoding/json"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/shard"
)

// The node's own tables, as broker.Node: what a single node's directory
// (broker.Local, the memory broker's) answers the HTTP API from. Any
// goroutine.

// EachChannel implements broker.Node.
func (s *Server) EachChannel(app string, fn func(channel string, c broker.ChannelCount)) {
	s.hub.EachChannel(app, func(ch *shard.Channel[*conn]) {
		if n := ch.Len(); n > 0 {
			fn(ch.Key.Name, broker.ChannelCount{Subscriptions: n, Users: ch.MemberCount()})
		}
	})
}

// ChannelCount implements broker.Node.
func (s *Server) ChannelCount(app, channel string) broker.ChannelCount {
	ch := s.hub.Lookup(shard.Key{App: app, Name: channel})
	if ch == nil {
		return broker.ChannelCount{}
	}
	return broker.ChannelCount{Subscriptions: ch.Len(), Users: ch.MemberCount()}
}

// EachMember implements broker.Node.
func (s *Server) EachMember(app, channel string, fn func(m broker.Member)) {
	if ch := s.hub.Lookup(shard.Key{App: app, Name: channel}); ch != nil {
		ch.EachMember(func(id string, info []byte) { fn(broker.Member{ID: id, Info: info}) })
	}
}

// joinPresence adds c's user to a presence channel: in this node's table,
// then in the directory, which says whether this is the user's first
// connection on any node (member_added) and who the members are
// (subscription_succeeded). With a remote directory the answer comes on
// the broker's goroutine, never blocking the loop; with the local one, at
// once.
func (s *Server) joinPresence(c *conn, ch *shard.Channel[*conn], userID string, info json.RawMessage) {
	c.addMembership(ch, userID)
	first := ch.AddMember(userID, []byte(info))
	if first {
		s.state.PresenceMembersDelta(c.app.ID, 1)
	}
	name := ch.Key.Name
	s.dir.JoinPresence(c.app.ID, name, broker.Member{ID: userID, Info: info}, first, func(first bool, members []broker.Member, version uint64) {
		if version != 0 {
			// Member events of other nodes that this list already holds
			// may still be on their way: c must not get them again.
			c.setPresenceSeen(name, version)
		}
		if first {
			s.memberEvent(c, name, "pusher_internal:member_added", memberJSON(userID, info), version)
			c.app.webhook(WebhookEvent{Name: "member_added", Channel: name, UserID: userID})
		}
		s.whenListening(c.app.ID, name, func() { s.subscribed(c, name, membersSnapshot(members)) })
	})
}

// leavePresence drops one connection of userID from a presence channel;
// member_removed goes out when the user's last connection on every node
// has left.
func (s *Server) leavePresence(c *conn, ch *shard.Channel[*conn], userID string) {
	name := ch.Key.Name
	c.forgetPresenceSeen(name)
	gone := ch.RemoveMember(userID)
	if gone {
		s.state.PresenceMembersDelta(c.app.ID, -1)
	}
	s.dir.LeavePresence(c.app.ID, name, userID, gone, func(last bool, version uint64) {
		if last {
			s.memberEvent(c, name, "pusher_internal:member_removed", memberJSON(userID, nil), version)
			c.app.webhook(WebhookEvent{Name: "member_removed", Channel: name, UserID: userID})
		}
	})
}

// channelWebhook sends channel_occupied or channel_vacated once the
// directory says this node's change (through mark: OccupyChannel or
// VacateChannel) was the cluster's first or last. Apps without a webhook
// skip the round trip, unless the channel has subscription counts (the
// reaper finds a dead node's channels by their occupancy); user channels
// are no webhook's business.
func (s *Server) channelWebhook(app *App, name, event string, mark func(app, channel string, done func(bool))) {
	if (app.Webhook == nil && !subCountEnabled(app, name)) || !protocol.KindOf(name).Listed() {
		return
	}
	mark(app.ID, name, func(transition bool) {
		if transition {
			app.webhook(WebhookEvent{Name: event, Channel: name})
		}
	})
}

// MemberReaped implements broker.ReapHandler: a dead node's last
// connection of a member is gone (the broker told the clients).
func (s *Server) MemberReaped(appID, channel, userID string) {
	if a := s.appsByID[appID]; a != nil {
		a.webhook(WebhookEvent{Name: "member_removed", Channel: channel, UserID: userID})
	}
}

// ChannelReaped implements broker.ReapHandler: a dead node held a
// channel's last subscribers.
func (s *Server) ChannelReaped(appID, channel string) {
	if s.userReaped(appID, channel) {
		return
	}
	if a := s.appsByID[appID]; a != nil {
		a.webhook(WebhookEvent{Name: "channel_vacated", Channel: channel})
	}
}

// membersSnapshot is the data of a presence subscription_succeeded:
// {"presence":{"ids":[...],"hash":{id: info},"count":n}}.
func membersSnapshot(ms []broker.Member) []byte {
	ids := []byte(`{"presence":{"ids":[`)
	hash := []byte(`],"hash":{`)
	for i, m := range ms {
		if i > 0 {
			ids = append(ids, ',')
			hash = append(hash, ',')
		}
		ids = protocol.AppendJSONString(ids, m.ID)
		hash = protocol.AppendJSONString(hash, m.ID)
		hash = append(hash, ':')
		if len(m.Info) == 0 {
			hash = append(hash, "null"...)
		} else {
			hash = append(hash, m.Info...)
		}
	}
	out := append(ids, hash...)
	out = append(out, `},"count":`...)
	out = strconv.AppendInt(out, int64(len(ms)), 10)
	return append(out, "}}"...)
}
