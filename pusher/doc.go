// Package pusher is the Pusher Channels protocol v7 on fanout's poller:
// the upgrade (with its Origin and token checks), each connection's state
// machine, subscriptions, presence, client events, heartbeats and the
// fan-out of published events to local subscribers.
//
// Each connection is a session: its state machine (handshake, verifying,
// open, closing, closed, aborted, refused), who may move it and who
// closed it are written down once, in package session. Its transport is
// decided when its request is answered: WebSocket (the 101, see
// ws_transport.go), or an event stream (GET /app/{key}/sse answered 200,
// see sse.go and sse_transport.go), which takes the same path with its
// own encoding of events (made once per delivery), comment-line
// heartbeats and no close handshake: a last pusher:error event, then FIN.
// Before either, the client's source address is counted and held to its
// connection and upgrade-rate limits (iplimit.go, package ratelimit).
//
// The poller's loop goroutine owns reads and the final close (OnClose);
// any goroutine may start a close (conn.closeWith: the session's
// StartClose, then the transport's last words), and the heartbeat wheel
// enforces the deadlines by aborting the socket.
//
// # Concurrency
//
// Server.OnOpen, OnData and OnClose run on poller loop goroutines, one at
// a time per connection: a connection's decoder, subscriptions and rate
// limiter are touched only there. Deliver, Offer, TerminateUser and the
// HTTP API methods run on any goroutine; they reach connections only
// through poller.Conn writes and conn.closeWith, which are safe for
// concurrent use. Heartbeat state shared with the wheel goroutine is
// atomic. A Tap (tap.go, the web console's live tail) is called from
// loops and delivery workers while set and must never block.
//
// Who may wait for whom ("A ──▶ B": A may block until B acts). Nothing
// on the right waits for anything on its left, so the graph has no cycle:
//
//	event loop         ──▶ (nothing: offers only if there is room now)
//	Redis reader       ──▶ (nothing: offers, else its own bounded backlog)
//	HTTP API handler   ──▶ room in a delivery queue (≤ 1 s, then 503)
//	outbox publisher   ──▶ Redis (≤ 2 s)
//	delivery worker    ──▶ fan-out helpers, connection write locks (package delivery)
//	fan-out helper     ──▶ connection write locks (package delivery)
//	wheel, ticker      ──▶ connection write locks
//	subscription count ──▶ directory read, broker publish (≤ 2 s each; subcount.go)
//	watchlist snapshot ──▶ directory read (≤ 2 s, on the pool; watchlist.go)
//	Close              ──▶ HTTP API requests in progress (≤ 15 s; drain_http.go), then the loops
//	connection write lock: held across one non-blocking write(2)/writev(2)
//
// A watchlist change (watchlist.go) arrives as a publication on an
// internal #watchlist- channel; Offer writes it to the node's watchers of
// that user itself, one non-blocking write each, instead of queueing it,
// so it takes connection write locks like a delivery worker.
//
// Room in a delivery queue is freed by the delivery workers, which wait
// only for helpers and write locks. A client or member event from a loop
// goes to the delivery queue (memory broker) or to a bounded outbox
// (remote broker) only if there is room now; a refused client event is
// answered with pusher:error 4100. A token check that may fetch a key
// set, and a recovery's history read, go to a bounded FIFO served by the
// worker pool (workqueue.go); only a full queue (65,536 waiting) closes
// that one connection with 4100. The loop never runs another party's
// work inline. A delivery worker hands a
// part of a big channel to a helper only when one is idle, else writes it
// itself. Deliver (brokers without Offer) waits a second for room, then
// drops the event and counts it. The short locks of the shard tables and
// of the delivery queues are never held across a wait or a syscall.
//
// Fairness: each channel has its own bounded queue; channels with queued
// events wait in one round-robin line served by every delivery worker,
// one worker per channel at a time (which keeps the channel's order). A
// flooded channel occupies at most one worker and delays the others in
// line by at most one pass over its subscribers.
//
// An event stream whose token is checked on the pool joins its channels
// there while the connection is still verifying (OnClose leaves only open
// connections): whoever fails to turn it open undoes the joins. A stream
// request or a WebSocket upgrade that reaches net/http on a kept-alive
// connection is handed back to a loop (poller.Adopt) and answered by
// OnOpen; the handler goroutine does not stay. A stream's 200 is written
// corked (poller.Conn.Cork) and deliveries queue behind it; whichever
// goroutine runs the last channel's broker.Listener callback (the loop on
// one node, the Redis hook goroutine otherwise) uncorks it. Nothing waits
// for that: see sse_live.go.
//
// Recovery (channels with history): the loop goroutine registers a
// connection's recovery before it joins the channel; delivery workers
// then hold that channel's live events for the connection (under the
// recovery's mutex) until a pool goroutine has read the history and
// written the replay, subscription_succeeded and the held events. See
// recovery.go.
//
// Commands before sign-in (AuthRequired, signin_hold.go): the loop
// goroutine holds the channel commands of a connection that has not
// signed in yet in a hold kept in Server.early (keyed by connection, so
// an idle connection pays nothing), and replays them after
// signin_success; the wheel goroutine, when the signin grace ends, takes
// the hold under its mutex, answers each held channel with a
// subscription_error and closes with 4009. The hold's mutex decides which
// of the two got the commands; OnClose forgets the hold.
//
// Apps: the Server holds one generation of apps (by key and by id) in an
// atomic pointer; ReplaceApps stores a new one from any goroutine (one
// call at a time) and closes the connections of removed apps afterwards
// with closeWith, like any other party. An app's connection count and
// secrets are shared by its versions and atomic (app_secrets.go).
//
// Presence and occupancy have one path for one node and for a cluster
// (directory.go): the Server keeps its own tables (the shard hub: who
// subscribes, which users are members on this node) and reports each
// change to a broker.Directory, which it always holds: the broker's own
// (Redis: cluster-wide), else broker.Local over the Server itself (a
// broker.Node; Memory is a Directory this way). The directory decides
// member_added (the user's first connection on any node), member_removed
// (the last), subscription_succeeded's member list and the
// channel_occupied/channel_vacated webhooks (the cluster's first and last
// subscriber), and answers the HTTP API's channel, channel list and users
// queries. The loop calls it without blocking; its answer runs at once on
// the loop (Local) or later on the broker's goroutine (Redis), and only
// sends to connections, publishes member events through the outbox and
// queues webhooks. A presence subscriber's member events wait (under its
// recoveries' mutex, as a recovery's live events do) until its member
// list is sent, since pusher-js replaces its list on
// subscription_succeeded; then those the list does not hold go out. With
// Redis each list and member event carries the channel's presence
// version, so one the list already holds is left out (recovery.go).
//
// The member_removed and channel_vacated webhooks of an app with a grace
// are held (grace.go): the directory records the departure, a return
// anywhere cancels it, and one sweeper goroutine per Server, with one
// timer over a heap of the node's held departures, asks the directory to
// settle each when its grace ends (Directory.Settle may wait on Redis,
// which is why the sweeper, not a loop, calls it). Close stops the
// sweeper after it settled what it held.
package pusher
