package pusher

import (
	"context"
	"strings"

	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/shard"
)

// ChannelInfo describes one channel for the HTTP API.
type ChannelInfo struct {
	Occupied      bool
	Subscriptions int
	Users         int
}

// ChannelInfo answers GET /apps/{id}/channels/{name}.
func (s *Server) ChannelInfo(ctx context.Context, appID, name string) (ChannelInfo, error) {
	if d := s.directory(); d != nil {
		return channelInfoCluster(ctx, d, appID, name)
	}
	ch := s.hub.Lookup(shard.Key{App: appID, Name: name})
	if ch == nil {
		return ChannelInfo{}, nil
	}
	n := ch.Len()
	return ChannelInfo{Occupied: n > 0, Subscriptions: n, Users: ch.MemberCount()}, nil
}

// Channels answers GET /apps/{id}/channels: occupied channels whose name
// starts with prefix.
func (s *Server) Channels(ctx context.Context, appID, prefix string) (map[string]ChannelInfo, error) {
	if d := s.directory(); d != nil {
		return channelsCluster(ctx, d, appID, prefix)
	}
	out := map[string]ChannelInfo{}
	s.hub.EachChannel(appID, func(ch *shard.Channel[*conn]) {
		// A user's own channel is the server's business, not the
		// app's: it is not listed, as it cannot be queried.
		if !strings.HasPrefix(ch.Key.Name, prefix) || !protocol.KindOf(ch.Key.Name).Listed() {
			return
		}
		if n := ch.Len(); n > 0 {
			out[ch.Key.Name] = ChannelInfo{Occupied: true, Subscriptions: n, Users: ch.MemberCount()}
		}
	})
	return out, nil
}

// Users answers GET /apps/{id}/channels/{name}/users: presence member ids.
func (s *Server) Users(ctx context.Context, appID, name string) ([]string, error) {
	if d := s.directory(); d != nil {
		return usersCluster(ctx, d, appID, name)
	}
	ch := s.hub.Lookup(shard.Key{App: appID, Name: name})
	if ch == nil {
		return []string{}, nil
	}
	ids := []string{}
	ch.EachMember(func(id string, _ []byte) { ids = append(ids, id) })
	return ids, nil
}

// Terminate answers POST /apps/{id}/users/{user}/terminate_connections.
func (s *Server) Terminate(ctx context.Context, appID, userID string) error {
	return s.opts.Broker.TerminateUser(ctx, appID, userID)
}

// AppCredentials returns what the HTTP API needs to check a request to
// app id; ok is false for an unknown app.
func (s *Server) AppCredentials(id string) (c Credentials, ok bool) {
	a := s.appsByID[id]
	if a == nil {
		return Credentials{}, false
	}
	return Credentials{Key: a.Key, Secret: a.Secret, Disabled: a.Disabled, MaxEventData: a.MaxEventData}, true
}
