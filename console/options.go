package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/fanout/fanout/httpapi"
	"github.com/fanout/fanout/pusher"
)

// Backend is what the console reads from the node: the HTTP API's
// backend (pusher.Server implements both).
type Backend interface {
	httpapi.Backend
	// SetTap installs the live tail while someone watches; nil removes it.
	SetTap(t pusher.Tap)
}

// App is one app as the console signs its requests and lists it.
type App struct {
	ID, Key, Secret string
	// History lists the channel patterns that keep history.
	History []string
}

// ClusterStore shares each node's latest sample among the nodes (the
// Redis broker implements it).
type ClusterStore interface {
	// PutNodeStats stores this node's record, replacing its last one.
	PutNodeStats(ctx context.Context, node string, record []byte) error
	// NodeStats returns every node's last record by node id, removing
	// those last written before stale.
	NodeStats(ctx context.Context, stale time.Time) (map[string][]byte, error)
}

// Options configure a Console. The zero value of each field means the
// default given on it; Password, Backend, API and Apps are required.
type Options struct {
	// Password is the admin credential: the login form's password and the
	// bearer token of the admin API.
	Password string
	// Node names this node in the cluster view; default "local".
	Node    string
	Backend Backend
	// API is the HTTP API handler, through which actions go.
	API  http.Handler
	Apps []App
	// Gather writes the node's Prometheus exposition (metrics.Metrics).
	// Default: no figures (the overview stays empty).
	Gather func(w io.Writer)
	// Config is the configuration in effect as YAML, secrets masked.
	Config []byte
	// Cluster, when set, shares samples among nodes; default nil (single
	// node: the cluster view shows this node only).
	Cluster ClusterStore
	// Logger receives one line per login and action; default discards.
	Logger *slog.Logger
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL time.Duration
	// SampleEvery is the sampling interval of the figures; default 1s.
	SampleEvery time.Duration
	// Keep is how many samples each series keeps; default 300 (five
	// minutes at the default interval).
	Keep int
	// TailRate bounds the events per second the tail forwards to each
	// watcher, over which events are sampled out; default 200.
	TailRate int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (o *Options) withDefaults() {
	if o.Node == "" {
		o.Node = "local"
	}
	if o.Gather == nil {
		o.Gather = func(io.Writer) {}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 300
	}
	if o.TailRate <= 0 {
		o.TailRate = 200
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}
