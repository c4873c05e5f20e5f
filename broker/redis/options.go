package redis

import (
	"log/slog"
	"time"
)

// Options configure a Broker. The zero value of each field means the
// documented default; URL is required.
type Options struct {
	// URL is redis://, rediss:// or unix://; required.
	URL string
	// Cluster selects Redis Cluster and sharded pub/sub (SPUBLISH,
	// SSUBSCRIBE); default false (standalone, PUBLISH/SUBSCRIBE).
	Cluster bool
	// Prefix starts every key and channel name; default "fanout".
	Prefix string
	// NodeID names this node in the directory; default a random id, so a
	// restarted node never touches the entries of its former self or of
	// other nodes.
	NodeID string
	// NodeTTL is how long a node that stopped heartbeating but whose
	// pub/sub connection Redis still holds (a stalled process, a machine
	// cut off) keeps its directory entries before another node reaps
	// them; default 15s. Heartbeats run every NodeTTL/3, at most every
	// 500ms. A node whose connection is gone too (its process died) is
	// reaped after four heartbeats (2s by default), at most NodeTTL. The
	// two bound how long a crashed node's channels refuse publications
	// (its listener entries stay until the reap; see crashed.go).
	NodeTTL time.Duration
	// Timeout bounds each Redis call; default 2s.
	Timeout time.Duration
	// Logger receives connection-state changes; default discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "fanout"
	}
	if o.NodeID == "" {
		o.NodeID = randomID()
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = 15 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
