// Package server wires one fanout node from its configuration: the
// Pusher protocol server on the poller, the broker, the HTTP API, the
// metrics endpoint and the per-app webhook senders. It holds no logic of
// its own beyond turning config.Config into their options.
//
// # Concurrency
//
// Start, Drain and Close are called by one goroutine (cmd/fanout's main),
// in that order. Drain may be skipped; Close must be called once.
// ReloadApps and ReloadTLS may be called from any goroutine between Start
// and Close; ReloadApps calls are serialised by the node (reload.go). An
// app's webhook sender sits in an atomic slot shared by the app's
// versions, so events of connections opened before a reload reach the
// current sender.
package server
