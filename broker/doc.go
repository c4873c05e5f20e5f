// Package broker carries published events and cluster-wide commands
// between fanout nodes. Memory is the single-node broker; the Redis
// broker (package broker/redis) joins several nodes into one logical
// server.
//
// Channels named by the Handler's HistoryPolicy keep a stream of their
// last events: each event gets a Position (epoch, offset) as it enters
// the broker, and History reads the stream back (recovery on subscribe,
// the HTTP API). Memory keeps a bounded ring per channel in process,
// freed by a sweeper once its TTL passes with no new event.
//
// Presence and occupancy live behind Directory: the caller reports its
// node's changes (a presence connection joined or left, its first or last
// subscriber of a channel) and learns the cluster's (the user's first or
// last connection anywhere, the channel's first or last node); the
// directory also answers channel, channel list and member queries. Local
// is the single-node Directory over the node's own tables (Node): no
// goroutine, answers on the caller's goroutine, and its only state the
// departures held for a grace; Memory is a Directory through it. The Redis broker implements Directory
// cluster-wide. DirectoryOf wraps a broker without one in Local.
//
// A departure (a user's last presence connection, a channel's last
// subscriber, anywhere in the cluster) may be held for a grace, as Pusher
// delays member_removed and channel_vacated webhooks: a return of the same
// user or channel before Settle cancels it, and Settle after the grace
// says, once for the whole cluster, whether it still stands. A
// DepartureKeeper (Redis) also keeps each held departure with its
// deadline, so that the live nodes (DepartureHandler) settle those of a
// node that stopped or crashed; Local keeps none beyond its node.
//
// # Concurrency
//
// Every Broker method is safe for concurrent use. A broker calls its
// Handler from its own goroutines; the handler must not block for long
// (it hands fan-out to a worker pool). Close stops delivery; Handler is not
// called after Close returns. Memory hands a history channel's events to
// the Handler under that channel's lock, so the Handler must not publish
// to the same channel from Deliver.
//
// Local (and Memory's Directory) runs done on the caller's goroutine
// before it returns, and reads Node from whatever goroutine calls the
// queries; the Redis broker's Directory runs done on its own goroutines.
package broker
