// Package gorillahub is the goroutine-per-connection peer hub on
// gorilla/websocket: a read goroutine and a write goroutine per
// connection, joined by a buffered channel, as gorilla's own chat
// example has it. A publish is answered as soon as hubcore.Fanout has
// queued it; the event is framed once, and the fan-out goroutines (one
// per core, as the chat example's hub goroutine) queue the same bytes
// on every subscriber's channel. The writer writes whatever is queued
// when it wakes in one write, as the chat example's writer joins the
// messages queued meanwhile; it writes the encoded frames to the
// socket itself, so WebSocket pongs and close replies go through its
// queue too.
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
