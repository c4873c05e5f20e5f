// Package auth owns fanout's credentials checks, as pure functions over
// strings and bytes: it never sees a socket, a channel table or a user
// table.
//
// It provides:
//
//   - Pusher HTTP API request signatures: VerifyRequest (server side) and
//     SignRequest (client side, for tests, the load harness and docs).
//   - Pusher channel authorization ("key:hexsig" for private- and
//     presence- subscriptions): SignChannel, VerifyChannel; user
//     authentication for pusher:signin: SignUser, VerifyUser; webhook
//     signatures: SignWebhook, VerifyWebhook; ValidSocketID.
//   - JWT verification of the WebSocket upgrade: Verifier (HS256/384/512,
//     RS256/384/512, ES256/384/512, EdDSA from PEM keys or a JWKS
//     endpoint), with Mint and MintWithKey to issue tokens, ExtractToken
//     to find the token in an upgrade request, and MatchChannel for the
//     "channels" grant; Grants, the grant in the compact form a
//     connection keeps (one interned value shared by every user whose
//     grant differs only by its own user id).
//   - The Origin allow-list: OriginPolicy.
//
// Every refusal is a value error (RequestError, TokenError) whose Reason
// is a short stable string, safe for logs and metric labels: no token
// text, secret or key material ever appears in an error.
//
// # Concurrency
//
// All functions are safe to call from any goroutine; they keep no state
// but the intern table behind Grants (unique.Make), which is safe for
// concurrent use. A Grants is an immutable value.
// OriginPolicy is a value; do not modify its Allowed slice while Allow
// runs.
//
// A Verifier is safe for concurrent use by any number of goroutines.
// With a JWKSURL it owns one goroutine that refreshes the key set; Verify
// may block on a JWKS fetch (at most the HTTP client timeout, at most once
// per UnknownKidRefreshGap) when a token names an unknown kid, so call it
// from a goroutine that may block (the upgrade worker), never from an
// event loop. Whoever called NewVerifier calls Close exactly once when the
// Verifier is no longer needed (the app's owner, at shutdown or config
// reload); Close stops and waits for the refresh goroutine. Verify keeps
// working after Close with the last good key set.
package auth
