// Package webhook delivers Pusher-style webhooks for one app: events such
// as channel_occupied, member_added or client_event are queued without
// blocking the caller, batched, signed and POSTed to the app's URL.
//
// A request body is {"time_ms": <unix ms>, "events": [...]}, sent with
// Content-Type application/json, X-Pusher-Key (the app key) and
// X-Pusher-Signature (hex HMAC-SHA256 of the body keyed by the app secret),
// as https://pusher.com/docs/channels/server_api/webhooks describes.
// Network errors and 5xx answers are retried with jittered exponential
// backoff; 4xx answers are not. Options.Events and Options.Channels
// filter what a Sender delivers and Options.Headers adds request headers,
// so an app with several endpoints has one Sender each.
//
// With Options.Store (the Redis broker) the queue is durable and shared
// by the cluster: events move from the bounded memory queue into the
// endpoint's stream in the store, and the one node holding the stream's
// lease posts and acknowledges them; a killed node's batch is taken over
// by the next holder (durable.go). Delivery is then at least once.
//
// # Concurrency
//
// One [Sender] per app owns one goroutine, started by [New], that batches
// and posts. [Sender.Send] may be called from any goroutine, including
// event loops: it never blocks and never allocates beyond copying the
// event into a bounded queue; when the queue is full the event is dropped
// and counted. The events of a batch that is given up (retries spent, a
// 4xx answer) are counted as dropped too: every event is delivered or
// counted. [Sender.Close] may be called once from any goroutine (later
// calls wait like the first); it stops the goroutine after flushing what
// it can before its context ends. Events sent after Close are dropped.
// With a Store the Sender owns two goroutines, one moving events into
// the store and one claiming and posting; Close stores what is queued,
// lets the batch in hand finish until its context ends (one cut short
// stays in the store, unacknowledged) and gives the lease back.
package webhook
