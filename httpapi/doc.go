// Package httpapi is the Pusher HTTP API of a fanout node: publishing
// events (events, batch_events), channel queries, presence users,
// terminate_connections, and the /healthz and /readyz probes.
//
// Requests are authenticated as Pusher does (auth_key, auth_timestamp,
// auth_version, body_md5, auth_signature; see package auth). Errors are
// JSON objects {"error": "..."} with the status Pusher's HTTP API uses:
// 400 malformed request, 401 bad signature or stale timestamp (more than
// 600 s off), 404 unknown app, 413 body over the limit, 503 overloaded or
// broker unavailable (https://pusher.com/docs/channels/library_auth_reference/rest-api/).
//
// A publish may carry an idempotency key (body field idempotency_key, or
// the X-Idempotency-Key header): a repeat of a key accepted within the
// window is answered 200 and not delivered again (idempotency.go).
//
// # Concurrency
//
// The Handler is an http.Handler: net/http calls it on its own goroutines,
// concurrently. It keeps no state of its own beyond its options; the
// Backend and the idempotency store must be safe for concurrent use. A
// request that holds idempotency keys settles them before it answers. A
// publish's broker call does not end with its request (a node's stop or
// a client hanging up would leave its fate unknown): it has a context of
// its own, bounded to 10 s (publishctx.go).
package httpapi
