// Package gorillahub is the goroutine-per-connection peer hub on
// gorilla/websocket, written the way most Go teams write one first: a
// read goroutine and a write goroutine per connection, joined by a
// buffered channel. It is the baseline of the harness's comparison.
//
// # Concurrency
//
// The handler is safe for concurrent use. Per connection, only the read
// goroutine reads and only the write goroutine writes; the read
// goroutine owns close: it closes the send channel once, which ends the
// write goroutine, which closes the socket.
package gorillahub
