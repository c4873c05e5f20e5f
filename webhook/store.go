package webhook

import (
	"context"
	"time"
)

// Store is a durable queue shared by the nodes of a cluster, one stream
// per endpoint (the Redis broker implements it; see package broker/redis).
// An event appended is kept until a node acknowledges it. One node at a
// time reads a stream (it holds the stream's lease, renewed by Claim and
// Touch); when it stops renewing for ClaimAfter (it died), another node
// takes over, entries read and never acknowledged first. Every method may
// be called from any goroutine and waits on the store, bounded by ctx and
// the store's own timeout.
type Store interface {
	// WebhookAppend adds encoded events to stream while it holds fewer
	// than max; it returns how many did not fit (dropped). They are
	// durable once it returns nil.
	WebhookAppend(ctx context.Context, stream string, events []string, max int) (dropped int, err error)
	// WebhookClaim returns up to count entries for this node if it holds
	// (or can take) the stream's lease: abandoned ones first, else new
	// ones, waiting up to block; ids and events are parallel. Call it
	// only with no batch in hand.
	WebhookClaim(ctx context.Context, stream string, count int, block time.Duration) (ids, events []string, err error)
	// WebhookTouch tells the store this node is still posting a batch.
	WebhookTouch(ctx context.Context, stream string) error
	// WebhookRelease gives the stream's lease back (a graceful stop).
	WebhookRelease(ctx context.Context, stream string) error
	// WebhookAck removes delivered (or given up and counted) entries.
	WebhookAck(ctx context.Context, stream string, ids []string) error
	// WebhookClaimAfter is how long a stream whose reader stopped
	// renewing its lease waits before another node takes it over.
	WebhookClaimAfter() time.Duration
}
