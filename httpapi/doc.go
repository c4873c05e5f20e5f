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
// # Concurrency
//
// The Handler is an http.Handler: net/http calls it on its own goroutines,
// concurrently. It keeps no state of its own beyond its options; the
// Backend must be safe for concurrent use.
package httpapi
