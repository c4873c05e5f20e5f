package broker

import (
	"context"
	"encoding/json"
	"time"
)

// Directory is where presence and occupancy live: it turns one node's
// changes (a presence connection joined or left, the node's first or last
// subscriber of a channel) into the cluster's (the user's first or last
// connection anywhere, the channel's first or last node), and answers
// the HTTP API's channel and user queries for the whole cluster.
//
// The caller keeps its own tables (which connection subscribes to which
// channel, as which user) and reports each change of them here, in the
// order they happen for one channel. Two implementations:
//
//   - Local, for a single node, where the node is the cluster: every
//     node-local transition is the cluster's, the queries read the
//     node's own tables (Node), and every call, done included, runs on
//     the caller's goroutine before it returns. Memory is a Directory
//     through Local.
//   - the Redis broker (package broker/redis), cluster-wide: calls never
//     block, they record the change in the node's local mirror and do the
//     remote work on the broker's goroutines, in call order for one
//     channel; done runs on those goroutines and must not block.
//
// DirectoryOf gives a broker's Directory, or Local for a broker without
// one.
type Directory interface {
	// CountSubscription adds delta to this node's subscription count of
	// a channel.
	CountSubscription(app, channel string, delta int)
	// JoinPresence records one presence connection of m.ID on this node;
	// first says whether it is the user's first connection to the channel
	// on this node. done learns (Transition.Cluster) whether it is the
	// user's first connection to the channel on any node, whether that
	// return cancelled a held departure of the user (Transition.Returned),
	// the cluster-wide members after the join (when a shared layer is
	// down: this node's view), and the channel's presence version after
	// it (Transition.Version): a counter the shared layer increments on
	// every join and leave, in the order it applies them, so the members
	// list reflects exactly the changes up to that version; 0 when there
	// is no shared layer or it is down.
	JoinPresence(app, channel string, m Member, first bool, done func(t Transition, members []Member))
	// LeavePresence undoes one JoinPresence; last says whether it was the
	// user's last connection to the channel on this node. done learns
	// whether it was the user's last connection to the channel on every
	// node, and the presence version after the leave (as JoinPresence).
	// With hold set, a last leave is recorded as a held departure
	// (Transition.Held) that a return of the user cancels until Settle.
	LeavePresence(app, channel, userID string, last, hold bool, done func(t Transition))
	// OccupyChannel records that this node has its first local subscriber
	// of a channel; done learns whether no other node had one, so the
	// cluster-wide channel_occupied fires once, and whether that cancelled
	// a held vacancy. VacateChannel records that the last local subscriber
	// left; done learns whether the channel is now empty on every node
	// (channel_vacated), held as a departure when hold is set. Calls for a
	// channel alternate, starting with OccupyChannel; a caller that does
	// not need the answers may skip both. When a shared layer is down,
	// done gets this node's view (Cluster true), and nothing is held.
	OccupyChannel(app, channel string, done func(t Transition))
	VacateChannel(app, channel string, hold bool, done func(t Transition))
	// Settle ends a held departure's grace: due reports whether it was
	// still held (no return cancelled it), and then it is settled for the
	// whole cluster, so exactly one Settle of it says due. It may wait on
	// the shared layer (bounded by the broker's call timeout), so callers
	// run it off the event loops; when the shared layer is down it
	// answers true (this node's view).
	Settle(d Departure) (due bool)
	// ChannelInfo counts one channel's subscriptions and presence users
	// over every live node.
	ChannelInfo(ctx context.Context, app, channel string) (ChannelCount, error)
	// Channels lists the occupied channels of an app whose names start
	// with prefix, over every live node.
	Channels(ctx context.Context, app, prefix string) (map[string]ChannelCount, error)
	// Members lists a presence channel's members over every live node.
	Members(ctx context.Context, app, channel string) ([]Member, error)
}

// Node is a node's own tables, read by Local to answer the queries of a
// single node. A Handler that implements it (found with a type assertion)
// is what Memory's Directory reads. Its methods may be called from any
// goroutine.
type Node interface {
	// EachChannel calls fn with every channel of app on this node that
	// has at least one subscriber, and its counts.
	EachChannel(app string, fn func(channel string, c ChannelCount))
	// ChannelCount counts one channel's subscriptions and presence users
	// on this node; zero when the channel has none.
	ChannelCount(app, channel string) ChannelCount
	// EachMember calls fn with each presence member of a channel on this
	// node; fn must not call back into the node.
	EachMember(app, channel string, fn func(m Member))
}

// Transition is a Directory's answer to one node's change.
type Transition struct {
	// Cluster: the change is the cluster's, the user's first connection
	// anywhere (JoinPresence) or its last (LeavePresence), the channel's
	// first node (OccupyChannel) or its last (VacateChannel).
	Cluster bool
	// Returned (JoinPresence, OccupyChannel, with Cluster): a held
	// departure of the same user or channel was still in its grace and
	// is now cancelled; neither it nor this return is the cluster's news.
	Returned bool
	// Held (LeavePresence, VacateChannel, with Cluster and hold): the
	// departure to Settle once the grace has passed; zero when nothing
	// was held.
	Held Departure
	// Version is the channel's presence version after the change
	// (presence only; 0 without a shared layer).
	Version uint64
}

// Departure names a held departure: a user's last presence connection
// (User set) or a channel's last subscriber (User empty) left the
// cluster, and its webhook waits for a grace in which a return cancels
// it, as Pusher delays member_removed and channel_vacated
// (https://pusher.com/docs/channels/server_api/webhooks/). Token
// tells this departure from a later one of the same user or channel.
type Departure struct {
	App, Channel, User string
	Token              string
}

// IsZero reports whether d names no departure.
func (d Departure) IsZero() bool { return d.Token == "" }

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

// DirectoryOf returns b's Directory when b has one (a type assertion),
// else Local over node.
func DirectoryOf(b Broker, node Node) Directory {
	if d, ok := b.(Directory); ok {
		return d
	}
	return &Local{Node: node}
}

// DepartureKeeper is an optional extension of Directory, found with a
// type assertion: a shared layer that keeps held departures for the whole
// cluster, each with its deadline, so that a departure outlives the node
// that held it. Once a kept departure's deadline has passed with no
// return, a live node that implements DepartureHandler settles it if the
// node that held it has not (it stopped or crashed); Settle still decides,
// so exactly one node sends its webhook.
type DepartureKeeper interface {
	// KeepDeparture records d with its deadline, grace from now. It
	// waits on the shared layer (bounded by the broker's call timeout);
	// on an error d is not kept and only this node settles it.
	KeepDeparture(d Departure, grace time.Duration) error
	// CanHandOver reports whether another live node will settle this
	// node's kept departures: false when none is live or the shared
	// layer does not answer (then the caller settles them itself).
	CanHandOver() bool
}

// DepartureHandler is an optional extension of Handler, found with a
// type assertion: the node settles kept departures (DepartureKeeper) of
// nodes that stopped or crashed.
type DepartureHandler interface {
	// SettlesFor reports whether this node can send app's departure
	// webhooks (it has the app's webhook configuration).
	SettlesFor(app string) bool
	// DepartureDue: d's grace passed with no return, and this node
	// settled it for the cluster; it sends the webhook now (never
	// blocking).
	DepartureDue(d Departure)
}
