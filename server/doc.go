// Package server wires one fanout node from its configuration: the
// Pusher protocol server on the poller, the broker, the HTTP API, the
// metrics endpoint and the per-app webhook senders. It holds no logic of
// its own beyond turning config.Config into their options.
//
// # Concurrency
//
// Start, Drain and Close are called by one goroutine (cmd/fanout's main),
// in that order. Drain may be skipped; Close must be called once.
package server
