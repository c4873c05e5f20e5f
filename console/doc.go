// Package console serves fanout's live web console and the admin API
// behind it, under /console on the metrics listener.
//
// What it owns: the login (one admin password, compared in constant
// time), browser sessions (an HttpOnly, SameSite=Strict cookie that
// expires, with a per-session CSRF token), the embedded single-page UI
// (ui/: plain HTML, CSS and JavaScript, no asset from outside the
// binary), a sampler that turns the node's own Prometheus exposition
// into a bounded in-memory time series, the cluster view (each node
// writes its latest sample to Redis; every console reads them all), and
// the live tail of one channel's events and of the connection log.
//
// Every action (publish, terminate a user's connections) goes through
// the HTTP API handler with a request signed here with the app's secret,
// so its checks, limits and metrics are the API's own; reads call the
// same backend functions the HTTP API calls (channel lists, presence
// members, history). Every action is logged with who did it and what.
//
// Cost: the tail (Feed) is installed on the protocol server (pusher.Tap)
// only while at least one browser watches; unwatched, the delivery path
// pays one atomic load per batch. Watched, each event goes through a
// rate limiter and a non-blocking send into a bounded buffer: events
// over the limit or with the buffer full are counted as sampled out or
// dropped, never waited for.
//
// CSRF (CWE-352): a state-changing request authenticated by the session
// cookie must carry the session's token in the X-Console-CSRF header, and
// its Origin (when sent) must be the console's own and Sec-Fetch-Site
// (when sent) same-origin. A request authenticated with
// "Authorization: Bearer <password>" (scripts, curl) needs no token,
// as browsers never attach that header on their own; the origin checks
// still apply to it.
//
// # Concurrency
//
// Console.Handler serves from any number of net/http goroutines. One
// goroutine (Run) samples the metrics and, with a cluster store, writes
// and reads the cluster's records; Close stops it. Feed methods are
// called from delivery workers and event loops and never block; each
// watcher's stream (an SSE response) drains its own buffered channel.
package console
