// Package pusher is the Pusher Channels protocol v7 on fanout's poller:
// the upgrade (with its Origin and token checks), each connection's state
// machine, subscriptions, presence, client events, heartbeats and the
// fan-out of published events to local subscribers.
//
// A connection moves through these states, written down here because
// exactly one party may close it:
//
//	handshake ──101──▶ open ──close frame sent──▶ closing ──peer's close or deadline──▶ closed
//	    │                 │                                                                ▲
//	    └── HTTP error ───┴── peer's close frame: answer it, poller.Conn.Close ────────────┘
//
// The poller's loop goroutine owns reads and the final close (OnClose);
// any goroutine may start a close by sending the close frame
// (conn.closeWith), and the heartbeat wheel enforces the deadline by
// aborting the socket.
//
// # Concurrency
//
// Server.OnOpen, OnData and OnClose run on poller loop goroutines, one at
// a time per connection: a connection's decoder, subscriptions and rate
// limiter are touched only there. Deliver, TerminateUser and the HTTP API
// methods run on any goroutine; they reach connections only through
// poller.Conn.Write and conn.closeWith, which are safe for concurrent use.
// Heartbeat state shared with the wheel goroutine is atomic.
//
// Recovery (channels with history): the loop goroutine registers a
// connection's recovery before it joins the channel; delivery workers
// then hold that channel's live events for the connection (under the
// recovery's mutex) until a pool goroutine has read the history and
// written the replay, subscription_succeeded and the held events. See
// recovery.go.
package pusher
