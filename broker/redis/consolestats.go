package redis

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The web console's cluster view: every node keeps its latest figures in
// one hash, field = node name, value = "<unix ms>|<record>". A node that
// stopped writing is dropped by the next reader that finds it stale, so
// the hash holds at most the live nodes plus those gone since.

func (b *Broker) consoleStatsKey() string { return b.opts.Prefix + ":console:nodes" }

// PutNodeStats stores node's latest record (the console's
// ClusterStore).
func (b *Broker) PutNodeStats(ctx context.Context, node string, record []byte) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	v := strconv.FormatInt(time.Now().UnixMilli(), 10) + "|" + string(record)
	return b.client.Do(ctx, b.client.B().Hset().Key(b.consoleStatsKey()).FieldValue().FieldValue(node, v).Build()).Error()
}

// NodeStats returns every node's latest record written after stale, and
// removes the older ones (the console's ClusterStore).
func (b *Broker) NodeStats(ctx context.Context, stale time.Time) (map[string][]byte, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	all, err := b.client.Do(ctx, b.client.B().Hgetall().Key(b.consoleStatsKey()).Build()).AsStrMap()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(all))
	var gone []string
	for node, v := range all {
		at, rec, ok := strings.Cut(v, "|")
		ms, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || time.UnixMilli(ms).Before(stale) {
			gone = append(gone, node)
			continue
		}
		out[node] = []byte(rec)
	}
	if len(gone) > 0 {
		_ = b.client.Do(ctx, b.client.B().Hdel().Key(b.consoleStatsKey()).Field(gone...).Build()).Error()
	}
	return out, nil
}
