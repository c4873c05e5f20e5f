package broker

import "context"

// Publication is one event for the subscribers of one channel, on every
// node.
type Publication struct {
	App     string `json:"a"`
	Channel string `json:"c"`
	Event   string `json:"e"`
	// Data is the event's data as JSON text: a JSON string for events
	// from the HTTP API, the value the client sent for client events.
	Data string `json:"d"`
	// SocketID, when set, is a connection that must not receive the event
	// (the publisher's own socket).
	SocketID string `json:"s,omitempty"`
	// UserID is the sender of a client event on a presence channel.
	UserID string `json:"u,omitempty"`
	// Position is the event's place in its channel's stream, set by the
	// broker's Publish (in the caller's slice too) for channels that keep
	// history; zero otherwise.
	Position Position `json:"p,omitzero"`
	// PresenceVersion is carried by member_added and member_removed: the
	// channel's presence version after that change (see Directory), so a
	// node can leave it out for a connection whose member list already
	// holds it; 0 when there is none (a single node).
	PresenceVersion uint64 `json:"pv,omitempty"`
	// Arrived is when the publication reached node Origin, in Unix
	// nanoseconds: its HTTP API accepting it or, for one that came from
	// elsewhere, its broker handing it over. Only Origin reads it (for
	// the publish-to-socket latency); another node restamps it on arrival,
	// so that no latency mixes two nodes' clocks. 0 when unknown.
	Arrived int64  `json:"t,omitempty"`
	Origin  uint64 `json:"o,omitempty"`
}

// Handler receives what a broker delivers to this node.
type Handler interface {
	// Deliver hands a publication to this node's subscribers.
	Deliver(p Publication)
	// TerminateUser closes this node's connections of a user.
	TerminateUser(app, userID string)
}

// Offerer is an optional extension of Handler, found with a type
// assertion: Offer hands p over only when the handler has room for it,
// waiting for room at most until ctx is done (a done ctx: only if there is
// room now). It returns ErrBusy when there was none, ErrClosed after the
// handler stopped. A broker that delivers in its caller's goroutine
// (Memory) uses it so that a publisher learns of the refusal; a broker
// reader uses it with a done ctx so that it never waits on the handler.
type Offerer interface {
	Offer(ctx context.Context, p Publication) error
}

// DropHandler is an optional extension of Handler: a broker that had to
// drop a publication because the handler had no room for it (and its own
// bounded backlog was full) reports it here, so it can be counted and
// the channel's subscribers told (the publisher was already answered).
type DropHandler interface {
	Dropped(p Publication)
}

// ReapHandler is an optional extension of Handler, found with a type
// assertion, for brokers that clean up after a node that died without
// saying goodbye (Redis reaps a silent node's directory entries). Exactly
// one live node, the one that reaped, hears of each loss, so it can send
// the webhooks the dead node never sent. The broker itself already
// publishes pusher_internal:member_removed to the channel's subscribers.
type ReapHandler interface {
	// MemberReaped: userID left a presence channel because the node that
	// held its last connections died.
	MemberReaped(app, channel, userID string)
	// ChannelReaped: the channel is empty on every node because the node
	// that held its last subscribers died.
	ChannelReaped(app, channel string)
}

// Broker moves publications between nodes.
type Broker interface {
	// Start begins delivering to h; call it once, before anything else.
	Start(h Handler) error
	// Publish sends publications to every node that has subscribers for
	// their channels, in order. An error means nothing may have been sent
	// (callers answer 503, never drop silently). For channels that keep
	// history (see HistoryPolicy) Publish appends each event to the
	// channel's stream and sets ps[i].Position, in the same step that
	// sends it, so positions follow the order of delivery.
	Publish(ctx context.Context, ps ...Publication) error
	// Subscribe says this node has its first local subscriber of a
	// channel; Unsubscribe that its last one left. Calls for a channel
	// alternate, starting with Subscribe.
	Subscribe(app, channel string)
	Unsubscribe(app, channel string)
	// TerminateUser asks every node to close a user's connections.
	TerminateUser(ctx context.Context, app, userID string) error
	// Ready returns nil when the broker can publish.
	Ready() error
	// Close stops delivery and releases resources.
	Close() error
}

// Listener is implemented by brokers whose Subscribe takes effect
// asynchronously (Redis): AwaitListening calls fn once publications to the
// channel from any node reach this node, so a client is told "subscribed"
// only when it is true. fn runs on the broker's goroutine and must not
// block. Memory does not implement it: its Subscribe is immediate.
type Listener interface {
	AwaitListening(app, channel string, fn func())
}
