// Package session is one client connection's session: the state machine
// every connection of the Pusher protocol goes through, whatever carries
// it, and the Transport seam under it (WebSocket frames or a
// text/event-stream). It never writes WebSocket bytes itself and does not
// import the frame package; the transports do (package pusher).
//
// Exactly one party may end a session, and the word that holds its phase
// also records who did (State.Ending): a Cause (drain, slow consumer,
// auth expiry, the client's close frame, the pong deadline, ...), whose
// Party is the server, the client or a deadline, and the close code (or
// the HTTP status of a refusal), readable after the close for logs,
// metrics and tests. The claim and the record are one compare-and-swap,
// as in cloudwego/netpoll's connection_lock.go.
//
// Phases and transitions; state.go is the only code that changes them,
// each arrow one of its methods:
//
//	             Verify
//	handshake ──────────▶ verifying
//	    │                     │
//	    └──────────┬──────────┘
//	               ├── Open ────────▶ open ── StartClose ──▶ closing
//	               ├── Refuse ──────▶ refused                   │
//	               ├── Abort ───────▶ aborted                   │ Closed
//	               └── HandOff¹ ────▶ closed ◀──────────────────┘
//	                                    ▲
//	   open, refused, aborted ── Closed ┘
//
//	¹ from handshake only
//
// Who triggers each ("loop": the poller's event-loop goroutine of the
// connection; "pool": the worker that checks a token against a key set;
// "wheel": the heartbeat timer wheel; "any": any goroutine):
//
//	method             from → to                        who, when
//	Verify             handshake → verifying            loop: the upgrade's token needs a key set
//	Open               handshake|verifying → open       loop|pool: 101 written, or 200 and a stream
//	Refuse(status)     handshake|verifying → refused    loop|pool: an HTTP error, no upgrade
//	Abort(from, cause) handshake|verifying → aborted    wheel: upgrade deadline (deadline);
//	                                                    loop: too much sent while verifying (server)
//	HandOff            handshake → closed               loop: a plain HTTP request, to net/http (server)
//	StartClose(code,   open → closing                   any: drain, slow consumer, overload, app
//	           cause)                                     refusal, termination (server);
//	                                                    loop: protocol error, client event limit
//	                                                      (server); the client's close frame (client);
//	                                                    wheel: pong timeout (deadline), auth expiry
//	                                                      (server)
//	Closed(ifOpen)     any → closed                     loop: the socket is gone (the peer's close
//	                                                      frame or FIN, an error, or the wheel's abort
//	                                                      at the close deadline); from open, no close
//	                                                      was started: ifOpen (EOF, client; SendInDoubt,
//	                                                      server, when the poller shut it after a
//	                                                      failing io_uring held its send)
//
// Every other transition is refused (the method returns false and changes
// nothing): Open after Closed or Aborted, StartClose before Open or twice,
// Verify after Verifying. Closed is final.
//
// A connection in handshake or verifying holds no app resources; one in
// open or closing does until the loop's OnClose (Phase.Admitted). Whoever
// fails to turn a session open (Open returned false) undoes what it did
// for it meanwhile.
//
// The poller's own socket lifecycle (poller/conn.go) is below this one:
// a session's close ends in the socket's.
//
// # Concurrency
//
// State's methods are safe for concurrent use; each transition is one
// compare-and-swap, so of two goroutines racing for the same transition
// exactly one wins and its cause is the one recorded. The winner of
// StartClose alone writes the transport's last words (Transport.Close).
// Transports are stateless and shared by every connection of their kind;
// their methods are safe for concurrent use.
package session
