// Package hubcore is the Pusher-protocol subset shared by the peer hubs
// the load harness compares against: the channel table, the client
// messages they answer (pusher:subscribe, pusher:unsubscribe,
// pusher:ping) and the signed POST /apps/{id}/events publish endpoint.
// Each hub supplies only its transport, as a Conn.
//
// # Concurrency
//
// A Hub is safe for concurrent use: HandleMessage, Remove and ServeHTTP
// may run on any goroutine. Conn.Send is called with no Hub lock held
// It is called under the channel table's read lock, so it
// must not block and must not call back into the Hub.
package hubcore
