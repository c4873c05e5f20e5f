// Package pushersig signs and verifies Pusher HTTP API requests
// (auth_key, auth_timestamp, auth_version=1.0, body_md5, auth_signature),
// for the load harness's publishers and for the peer hubs that check them.
//
// # Concurrency
//
// Every function is pure and safe to call from any goroutine.
package pushersig
