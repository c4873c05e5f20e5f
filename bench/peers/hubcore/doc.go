// Package hubcore is the Pusher-protocol subset shared by the peer hubs
// the load harness compares against: the channel table, the client
// messages they answer (pusher:subscribe, pusher:unsubscribe,
// pusher:ping) and the signed POST /apps/{id}/events publish endpoint.
// Each hub supplies only its transport, as a Conn.
//
// # Concurrency
//
// A Hub is safe for concurrent use: HandleMessage, Remove, Broadcast and
// ServeHTTP may run on any goroutine, but the calls for one connection
// (which share its State) must come from one goroutine at a time, the
// transport's reader. Broadcast calls Conn.Send under the channel
// table's read lock, so Send must not block and must not call back into
// the Hub. The transport owns the socket and calls Remove once when it
// closes.
package hubcore
