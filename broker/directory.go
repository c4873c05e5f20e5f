package broker

import (
	"context"
	"encoding/json"
)

// Directory is the cluster-wide record of subscriptions and presence
// members that a multi-node Broker offers; callers find it with a type
// assertion. Without one (Memory) a node answers from its own tables.
//
// CountSubscription, JoinPresence, LeavePresence, OccupyChannel and
// VacateChannel never block: they
// record the change locally and do the remote work on the broker's
// goroutines, in call order for one channel. done callbacks run on those
// goroutines and must not block.
type Directory interface {
	// CountSubscription adds delta to this node's subscription count of
	// a channel.
	CountSubscription(app, channel string, delta int)
	// JoinPresence records one presence connection of m.ID on this node.
	// done learns whether it is the user's first connection to the
	// channel on any node, and the cluster-wide members after the join
	// (when the shared layer is down: this node's view).
	JoinPresence(app, channel string, m Member, done func(first bool, members []Member))
	// LeavePresence undoes one JoinPresence; done learns whether it was the
	// user's last connection to the channel on every node.
	LeavePresence(app, channel, userID string, done func(last bool))
	// OccupyChannel records that this node has its first local subscriber
	// of a channel; done learns whether no other node had one, so the
	// cluster-wide channel_occupied fires once. VacateChannel records
	// that the last local subscriber left; done learns whether the
	// channel is now empty on every node (channel_vacated). Calls for a
	// channel alternate, starting with OccupyChannel; a caller that does
	// not need the answers may skip both. When the shared layer is down,
	// done gets this node's view (true).
	OccupyChannel(app, channel string, done func(first bool))
	VacateChannel(app, channel string, done func(last bool))
	// ChannelInfo counts one channel's subscriptions and presence users
	// over every live node.
	ChannelInfo(ctx context.Context, app, channel string) (ChannelCount, error)
	// Channels lists the occupied channels of an app whose names start
	// with prefix, over every live node.
	Channels(ctx context.Context, app, prefix string) (map[string]ChannelCount, error)
	// Members lists a presence channel's members over every live node.
	Members(ctx context.Context, app, channel string) ([]Member, error)
}

// Member is one presence member: the user id and its user_info JSON
// (nil when none was given).
type Member struct {
	ID   string
	Info json.RawMessage
}

// ChannelCount is one channel's cluster-wide numbers.
type ChannelCount struct {
	Subscriptions int
	Users         int
}
