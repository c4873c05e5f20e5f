package pusher

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
)

// directory is the broker's cluster-wide directory, or nil for a single
// node, which answers from its own hub.
func (s *Server) directory() broker.Directory {
	d, _ := s.opts.Broker.(broker.Directory)
	return d
}

// joinPresenceCluster is joinPresence over a cluster-wide directory: the
// Redis round trip runs on the broker's goroutine, never on the loop, and
// subscription_succeeded carries every node's members.
func (s *Server) joinPresenceCluster(d broker.Directory, c *conn, name, userID string, info json.RawMessage) {
	d.JoinPresence(c.app.ID, name, broker.Member{ID: userID, Info: info}, func(first bool, members []broker.Member) {
		if first {
			s.memberEvent(c, name, "pusher_internal:member_added", memberJSON(userID, info))
			c.app.webhook(WebhookEvent{Name: "member_added", Channel: name, UserID: userID})
		}
		s.whenListening(c.app.ID, name, func() { s.subscribed(c, name, membersSnapshot(members)) })
	})
}

// leavePresenceCluster tells the directory; member_removed goes out when
// the user's last connection on every node has left.
func (s *Server) leavePresenceCluster(d broker.Directory, c *conn, name, userID string) {
	d.LeavePresence(c.app.ID, name, userID, func(last bool) {
		if last {
			s.memberEvent(c, name, "pusher_internal:member_removed", memberJSON(userID, nil))
			c.app.webhook(WebhookEvent{Name: "member_removed", Channel: name, UserID: userID})
		}
	})
}

// channelOccupied sends channel_occupied: at once for a single node, else
// when the directory says no other node had the channel.
func (s *Server) channelOccupied(app *App, name string) {
	if d := s.directory(); d != nil {
		s.channelWebhook(app, name, "channel_occupied", d.OccupyChannel)
		return
	}
	s.channelWebhook(app, name, "channel_occupied", nil)
}

// channelVacated sends channel_vacated once the channel is empty on every
// node.
func (s *Server) channelVacated(app *App, name string) {
	if d := s.directory(); d != nil {
		s.channelWebhook(app, name, "channel_vacated", d.VacateChannel)
		return
	}
	s.channelWebhook(app, name, "channel_vacated", nil)
}

// channelWebhook sends a channel event, after the cluster-wide check when
// there is one (it reports whether this node's change was the cluster's
// first or last). Apps without a webhook skip the round trip; user
// channels are no webhook's business.
func (s *Server) channelWebhook(app *App, name, event string, cluster func(app, channel string, done func(bool))) {
	if app.Webhook == nil || !protocol.KindOf(name).Listed() {
		return
	}
	ev := WebhookEvent{Name: event, Channel: name}
	if cluster == nil {
		app.webhook(ev)
		return
	}
	cluster(app.ID, name, func(transition bool) {
		if transition {
			app.webhook(ev)
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

// channelInfoCluster answers ChannelInfo from the directory.
func channelInfoCluster(ctx context.Context, d broker.Directory, appID, name string) (ChannelInfo, error) {
	c, err := d.ChannelInfo(ctx, appID, name)
	return ChannelInfo{Occupied: c.Subscriptions > 0, Subscriptions: c.Subscriptions, Users: c.Users}, err
}

// channelsCluster answers Channels from the directory.
func channelsCluster(ctx context.Context, d broker.Directory, appID, prefix string) (map[string]ChannelInfo, error) {
	cs, err := d.Channels(ctx, appID, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ChannelInfo, len(cs))
	for name, c := range cs {
		if protocol.KindOf(name).Listed() {
			out[name] = ChannelInfo{Occupied: true, Subscriptions: c.Subscriptions, Users: c.Users}
		}
	}
	return out, nil
}

// usersCluster answers Users from the directory.
func usersCluster(ctx context.Context, d broker.Directory, appID, name string) ([]string, error) {
	ms, err := d.Members(ctx, appID, name)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, nil
}
