// Package hubcore is the Pusher-protocol subset shared by the peer hubs
// the load harness compares against: the channel table, the client
// messages they answer (pusher:subscribe, pusher:unsubscribe,
// pusher:ping), the signed POST /apps/{id}/events publish endpoint, and
// Fanout, the sharded fan-out both hubs publish through. Each hub
// supplies only its transport, as a Conn and Fanout's Write.
//
// # Concurrency
//
// A Hub is safe for concurrent use: HandleMessage, Remove, Publish,
// Broadcast and ServeHTTP may run on any goroutine, but the calls for
// one connection (which share its State) must come from one goroutine at
// a time, the transport's reader. A publish takes a snapshot of the
// channel's subscribers (rebuilt under the table's lock only after a
// change) and fans out outside any lock, on the publishing goroutine or,
// with Options.Publish, wherever the transport chooses; Send must not
// block. The transport owns the socket and calls Remove once when it
// closes; a removed connection may still be in a snapshot in flight, so
// Send on a closed connection must fail quietly.
//
// Fanout.Publish may run on any goroutine; publishes are queued in one
// order on every shard. Each shard goroutine calls Write for its share
// of a publish's subscribers, so Write runs on several goroutines at
// once, but never twice at once for one connection: a publish to a
// new snapshot waits until every shard has written the one before.
package hubcore
