// Package broker carries published events and cluster-wide commands
// between fanout nodes. Memory is the single-node broker; the Redis
// broker (package broker/redis) joins several nodes into one logical
// server.
//
// # Concurrency
//
// Every Broker method is safe for concurrent use. A broker calls its
// Handler from its own goroutines; the handler must not block for long
// (it hands fan-out to a worker pool). Close stops delivery; Handler is not
// called after Close returns.
package broker
