package broker

import (
	"context"
	"strings"
)

// Local is the Directory of a single node, over the node's own tables:
// the node is the whole cluster, so each transition the caller reports
// is the cluster's, and the queries read Node. It keeps no state, starts
// no goroutine, and runs done on the caller's goroutine before returning.
// A nil Node has no channels and no members.
type Local struct {
	Node Node
}

// CountSubscription implements Directory: the node's table is the count.
func (Local) CountSubscription(app, channel string, delta int) {}

// JoinPresence implements Directory: the node's first connection of the
// user is the cluster's, and the members are the node's.
func (l Local) JoinPresence(app, channel string, m Member, first bool, done func(bool, []Member, uint64)) {
	done(first, l.members(app, channel), 0)
}

// LeavePresence implements Directory: the node's last connection of the
// user is the cluster's.
func (Local) LeavePresence(app, channel, userID string, last bool, done func(bool, uint64)) {
	done(last, 0)
}

// OccupyChannel implements Directory: no other node can hold the channel.
func (Local) OccupyChannel(app, channel string, done func(bool)) { done(true) }

// VacateChannel implements Directory: no other node can hold the channel.
func (Local) VacateChannel(app, channel string, done func(bool)) { done(true) }

// ChannelInfo implements Directory from the node's table; it never fails.
func (l Local) ChannelInfo(_ context.Context, app, channel string) (ChannelCount, error) {
	if l.Node == nil {
		return ChannelCount{}, nil
	}
	return l.Node.ChannelCount(app, channel), nil
}

// Channels implements Directory from the node's table; it never fails.
func (l Local) Channels(_ context.Context, app, prefix string) (map[string]ChannelCount, error) {
	out := map[string]ChannelCount{}
	if l.Node == nil {
		return out, nil
	}
	l.Node.EachChannel(app, func(channel string, c ChannelCount) {
		if strings.HasPrefix(channel, prefix) {
			out[channel] = c
		}
	})
	return out, nil
}

// Members implements Directory from the node's table; it never fails.
func (l Local) Members(_ context.Context, app, channel string) ([]Member, error) {
	return l.members(app, channel), nil
}

func (l Local) members(app, channel string) []Member {
	ms := []Member{}
	if l.Node != nil {
		l.Node.EachMember(app, channel, func(m Member) { ms = append(ms, m) })
	}
	return ms
}
