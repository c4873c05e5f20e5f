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
// once. A first connection that cancels the user's held departure still
// tells the members, but sends no webhook (grace.go).
func (s *Server) joinPresence(c *conn, ch *shard.Channel[*conn], userID string, info json.RawMessage) {
	c.addMembership(ch, userID)
	first := ch.AddMember(userID, []byte(info))
	if first {
		s.state.PresenceMembersDelta(c.app.ID, 1)
	}
	name := ch.Key.Name
	s.dir.JoinPresence(c.app.ID, name, broker.Member{ID: userID, Info: info}, first, func(t broker.Transition, members []broker.Member) {
		if t.Version != 0 {
			// Member events of other nodes that this list already holds
			// may still be on their way: c must not get them again.
			c.setPresenceSeen(name, t.Version)
		}
		if t.Cluster {
			s.memberEvent(c, name, "pusher_internal:member_added", memberJSON(userID, info), t.Version)
			if s.returned(t) {
				c.app.webhook(WebhookEvent{Name: "member_added", Channel: name, UserID: userID})
			}
		}
		s.whenListening(c.app.ID, name, func() { s.subscribed(c, name, membersSnapshot(members)) })
	})
}

// leavePresence drops one connection of userID from a presence channel;
// member_removed goes out to the members when the user's last connection
// on every node has left, and to the webhook after the app's grace.
func (s *Server) leavePresence(c *conn, ch *shard.Channel[*conn], userID string) {
	name := ch.Key.Name
	c.forgetPresenceSeen(name)
	app := c.app
	gone := ch.RemoveMember(userID)
	if gone {
		s.state.PresenceMembersDelta(app.ID, -1)
	}
	s.dir.LeavePresence(app.ID, name, userID, gone, s.holding(app), func(t broker.Transition) {
		if t.Cluster {
			s.memberEvent(c, name, "pusher_internal:member_removed", memberJSON(userID, nil), t.Version)
			s.departed(app, "member_removed", t, WebhookEvent{Name: "member_removed", Channel: name, UserID: userID})
		}
	})
}

// occupied sends channel_occupied once the directory says this node's
// first subscriber is the cluster's, unless it cancels a held vacancy.
// Apps without a webhook skip the round trip, unless the channel has
// subscription counts (the reaper finds a dead node's channels by their
// occupancy); user channels are no webhook's business.
func (s *Server) occupied(app *App, name string) {
	if !s.tracksOccupancy(app, name) {
		return
	}
	s.dir.OccupyChannel(app.ID, name, func(t broker.Transition) {
		if t.Cluster && s.returned(t) {
			app.webhook(WebhookEvent{Name: "channel_occupied", Channel: name})
		}
	})
}

// vacated sends channel_vacated, after the app's grace, once the
// directory says this node's last subscriber was the cluster's.
func (s *Server) vacated(app *App, name string) {
	if !s.tracksOccupancy(app, name) {
		return
	}
	s.dir.VacateChannel(app.ID, name, s.holding(app), func(t broker.Transition) {
		if t.Cluster {
			s.departed(app, "channel_vacated", t, WebhookEvent{Name: "channel_vacated", Channel: name})
		}
	})
}

// tracksOccupancy reports whether the directory must hear of name's first
// and last subscriber on this node: for its webhooks or its subscription
// counts, and never for user channels.
func (s *Server) tracksOccupancy(app *App, name string) bool {
	return (app.Webhook != nil || subCountEnabled(app, name)) && protocol.KindOf(name).Listed()
}

// MemberReaped implements broker.ReapHandler: a dead node's last
// connection of a member is gone (the broker told the clients).
func (s *Server) MemberReaped(appID, channel, userID string) {
	if a := s.AppByID(appID); a != nil {
		a.webhook(WebhookEvent{Name: "member_removed", Channel: channel, UserID: userID})
	}
}

// ChannelReaped implements broker.ReapHandler: a dead node held a
// channel's last subscribers.
func (s *Server) ChannelReaped(appID, channel string) {
	if s.userReaped(appID, channel) {
		return
	}
	if a := s.AppByID(appID); a != nil {
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
