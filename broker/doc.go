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
// # Concurrency
//
// Every Broker method is safe for concurrent use. A broker calls its
// Handler from its own goroutines; the handler must not block for long
// (it hands fan-out to a worker pool). Close stops delivery; Handler is not
// called after Close returns. Memory hands a history channel's events to
// the Handler under that channel's lock, so the Handler must not publish
// to the same channel from Deliver.
package broker
