package console

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// ClusterPoint is the cluster's totals at one time.
type ClusterPoint struct {
	Time           int64   `json:"time"`
	Nodes          int     `json:"nodes"`
	Connections    int     `json:"connections"`
	PublishedPerS  float64 `json:"published_per_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
}

// clusterView writes this node's samples to the store and keeps the
// cluster's latest samples and a series of its totals.
type clusterView struct {
	node  string
	store ClusterStore
	stale time.Duration
	kept  *ring[ClusterPoint]

	mu    sync.Mutex
	nodes []Sample // latest of every live node, by node id
	err   string   // the last store error, "" when it worked
}

func newClusterView(node string, store ClusterStore, keep int, every time.Duration) *clusterView {
	return &clusterView{node: node, store: store, stale: max(5*every, 5*time.Second), kept: newRing[ClusterPoint](keep)}
}

// exchange stores s and reads every node's latest (without a store,
// this node is the cluster).
func (v *clusterView) exchange(ctx context.Context, s Sample, now time.Time, log *slog.Logger) {
	nodes, errText := []Sample{s}, ""
	if v.store != nil {
		nodes, errText = v.readStore(ctx, s, now)
		if errText != "" {
			log.Debug("console: cluster stats", "err", errText)
		}
	}
	p := ClusterPoint{Time: s.Time, Nodes: len(nodes)}
	for _, n := range nodes {
		p.Connections += n.Connections
		p.PublishedPerS += n.PublishedPerS
		p.DeliveriesPerS += n.DeliveriesPerS
	}
	v.kept.push(p)
	v.mu.Lock()
	v.nodes, v.err = nodes, errText
	v.mu.Unlock()
}

func (v *clusterView) readStore(ctx context.Context, s Sample, now time.Time) ([]Sample, string) {
	rec, _ := json.Marshal(s)
	if err := v.store.PutNodeStats(ctx, v.node, rec); err != nil {
		return []Sample{s}, err.Error()
	}
	all, err := v.store.NodeStats(ctx, now.Add(-v.stale))
	if err != nil {
		return []Sample{s}, err.Error()
	}
	out := make([]Sample, 0, len(all))
	for _, b := range all {
		var n Sample
		if json.Unmarshal(b, &n) == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, ""
}

// snapshot is the cluster as the last exchange saw it.
func (v *clusterView) snapshot() (nodes []Sample, errText string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.nodes, v.err
}
