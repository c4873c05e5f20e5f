package session

import "github.com/fanout/fanout/poller"

// Transport writes a session's events in one wire format over a poller
// connection: WebSocket frames (RFC 6455) or a text/event-stream (WHATWG
// HTML, "Server-sent events"). It sees bytes already encoded for it
// (encoded once per delivery and shared by every recipient of that
// transport), never a Pusher event's fields.
//
// Implementations hold no per-connection state: one value serves every
// connection of its kind, and a connection names its transport with a
// byte, not an interface field (16 bytes), to stay in its allocation size
// class. What a transport needs of one connection is passed in.
//
// Send, SendBatch and Ping may be called from any goroutine (the poller
// connection's writes are safe for concurrent use); Close only by the
// winner of State.StartClose.
type Transport interface {
	// Name is the transport's metric label: "websocket" or "sse".
	Name() string
	// Send queues b, one encoded event, behind what is queued;
	// poller.ErrQueueFull when more than limit bytes would wait (a slow
	// consumer), poller.ErrClosed once the connection is closing.
	Send(pc *poller.Conn, b []byte, limit int) error
	// SendBatch is Send for several events, written with one writev(2).
	SendBatch(pc *poller.Conn, bs [][]byte, limit int) error
	// Ping writes a heartbeat.
	Ping(pc *poller.Conn, limit int) error
	// Pongs reports whether the peer answers a heartbeat (a WebSocket
	// pong), so that its silence after one is a timeout; a peer that
	// never answers (an event stream) gets a heartbeat every activity
	// timeout and is judged by its socket alone.
	Pongs() bool
	// Close writes the session's last words for close code and reason:
	// on a WebSocket a pusher:error event (for Pusher codes, 4000-4999)
	// and the close frame, then waits for the peer's; on an event stream
	// the pusher:error event, then FIN. drop discards what is queued
	// first. It returns the bytes of the pusher:error event written (a
	// message, for the counters), 0 for none.
	Close(pc *poller.Conn, code uint16, reason string, drop bool) int
	// Reads reports whether what the client sends after the request is
	// read (WebSocket frames); an event stream reads nothing.
	Reads() bool
}
