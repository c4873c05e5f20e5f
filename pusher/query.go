package pusher

import (
	"time"

	"context"

	"github.com/fanout/fanout/protocol"
)

// ChannelInfo describes one channel for the HTTP API.
type ChannelInfo struct {
	Occupied      bool
	Subscriptions int
	Users         int
}

// ChannelInfo answers GET /apps/{id}/channels/{name} from the directory
// (every node's subscriptions and presence users).
func (s *Server) ChannelInfo(ctx context.Context, appID, name string) (ChannelInfo, error) {
	c, err := s.dir.ChannelInfo(ctx, appID, name)
	return ChannelInfo{Occupied: c.Subscriptions > 0, Subscriptions: c.Subscriptions, Users: c.Users}, err
}

// Channels answers GET /apps/{id}/channels: occupied channels whose name
// starts with prefix, on any node.
func (s *Server) Channels(ctx context.Context, appID, prefix string) (map[string]ChannelInfo, error) {
	cs, err := s.dir.Channels(ctx, appID, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ChannelInfo, len(cs))
	for name, c := range cs {
		// A user's own channel is the server's business, not the
		// app's: it is not listed, as it cannot be queried.
		if c.Subscriptions > 0 && protocol.KindOf(name).Listed() {
			out[name] = ChannelInfo{Occupied: true, Subscriptions: c.Subscriptions, Users: c.Users}
		}
	}
	return out, nil
}

// Users answers GET /apps/{id}/channels/{name}/users: presence member ids
// on any node.
func (s *Server) Users(ctx context.Context, appID, name string) ([]string, error) {
	ms, err := s.dir.Members(ctx, appID, name)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, nil
}

// Terminate answers POST /apps/{id}/users/{user}/terminate_connections.
func (s *Server) Terminate(ctx context.Context, appID, userID string) error {
	return s.opts.Broker.TerminateUser(ctx, appID, userID)
}

// AppCredentials returns what the HTTP API needs to check a request to
// app id; ok is false for an unknown app.
func (s *Server) AppCredentials(id string) (c Credentials, ok bool) {
	a := s.AppByID(id)
	if a == nil {
		return Credentials{}, false
	}
	cur, prev := a.Secrets(time.Now())
	return Credentials{Key: a.Key, Secret: cur, PreviousSecret: prev, Disabled: a.Disabled, MaxEventData: a.MaxEventData}, true
}
