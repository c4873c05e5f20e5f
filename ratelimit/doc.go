// Package ratelimit holds the per-client limits of a fanout node: a token
// bucket (HTTP API requests per app), and a table of source IP addresses
// with each one's open connections and upgrade rate, so that one client in
// a reconnect loop cannot take the node's file descriptors from everyone
// else.
//
// Refusals are answered with HTTP 429 Too Many Requests and Retry-After
// (RFC 6585 section 4; RFC 9110 section 10.2.3). A client behind trusted
// reverse proxies is named by the X-Forwarded-For hop the nearest
// untrusted proxy added; without configured proxies the socket's peer
// address is the client (a header any client can send is not trusted).
//
// Memory is bounded: the IP table holds at most its MaxEntries addresses
// (at most 65,535, the width of the handle a connection keeps), forgets
// an address once it has no connection and its bucket is full again, and
// past the bound admits new addresses untracked rather than refusing them.
//
// # Concurrency
//
// Bucket and IPTable are safe for concurrent use; each guards its state
// with one mutex held for a few map and arithmetic operations. Proxies
// is read-only after NewProxies.
package ratelimit
