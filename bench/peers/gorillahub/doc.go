// Package gorillahub is the goroutine-per-connection peer hub on
// gorilla/websocket: a read goroutine and a write goroutine per
// connection, joined by a buffered channel, as gorilla's own chat
// example has it. A publish frames its event once
// (websocket.PreparedMessage, which keeps the encoded frame) and queues
// the same prepared message on every subscriber's channel without
// waiting for the writes, so the publish request is answered at once.
//
// # Concurrency
//
// The handler is safe for concurrent use. Per connection, only the read
// goroutine reads and only the write goroutine writes; the read
// goroutine owns close: it closes the send channel once, which ends the
// write goroutine, which closes the socket. Queueing takes the
// connection's lock only to check it is open and never blocks (a full
// queue drops the message).
package gorillahub
