package redis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// The durable webhook queue (webhook.Store): one Redis stream per app
// endpoint, "{prefix}:wh:{<stream>}", read through one consumer group,
// "fanout", in which each node is a consumer named by its node id. An
// event is durable once XADD returned. One node at a time holds the
// stream's lease ("…:lease", its node id for NodeTTL, renewed before each
// read and each post attempt) and alone reads and posts, so the endpoint
// gets the cluster's events in the order they were queued. It XACKs and
// XDELs a batch once the endpoint answered (or the batch was given up and
// counted). When the holder dies its lease runs out after NodeTTL; the
// next holder first takes over every entry still pending in the group
// (read by a holder that never acknowledged it) with XAUTOCLAIM, then
// reads new ones. A node that stops gracefully gives the lease back.
//
// Delivery is at least once: a node killed after the endpoint's 2xx and
// before its XACK has its batch sent again by the next holder.

// webhookGroup is the consumer group of every webhook stream.
const webhookGroup = "fanout"

// appendScript adds ARGV[2..] to the stream KEYS[1] while it holds fewer
// than ARGV[1] entries, creating the consumer group (from the stream's
// start) with the stream; it returns how many it could not add.
var appendScript = rueidis.NewLuaScript(`
local max = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[1], '` + webhookGroup + `', '0', 'MKSTREAM')
end
local n = redis.call('XLEN', KEYS[1])
local dropped = 0
for i = 2, #ARGV do
  if n < max then
    redis.call('XADD', KEYS[1], '*', 'e', ARGV[i])
    n = n + 1
  else
    dropped = dropped + 1
  end
end
return dropped
`)

func (b *Broker) webhookKey(stream string) string { return b.opts.Prefix + ":wh:{" + stream + "}" }

// WebhookClaimAfter is how long a lease outlives its last renewal before
// another node takes the stream over: NodeTTL, the silence after which
// the cluster forgets a node.
func (b *Broker) WebhookClaimAfter() time.Duration { return b.opts.NodeTTL }

// WebhookAppend adds encoded events to stream while it holds fewer than
// max entries; it returns how many did not fit. The events are durable
// once it returns nil.
func (b *Broker) WebhookAppend(ctx context.Context, stream string, events []string, max int) (int, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	args := append([]string{strconv.Itoa(max)}, events...)
	n, err := appendScript.Exec(ctx, b.client, []string{b.webhookKey(stream)}, args).AsInt64()
	return int(n), err
}

// leaseScript takes or renews the lease KEYS[1] for node ARGV[1] for
// ARGV[2] ms: 1 when the node holds it, 0 when another node does.
var leaseScript = rueidis.NewLuaScript(`
local h = redis.call('GET', KEYS[1])
if h and h ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

func (b *Broker) lease(ctx context.Context, stream string) (bool, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	n, err := leaseScript.Exec(ctx, b.client, []string{b.webhookKey(stream) + ":lease"},
		[]string{b.opts.NodeID, strconv.FormatInt(b.opts.NodeTTL.Milliseconds(), 10)}).AsInt64()
	return n == 1, err
}

// WebhookClaim gives this node, while it holds the stream's lease, up to
// count entries: first those a holder read and never acknowledged, else
// new ones, waiting up to block for them. Without the lease it waits
// block and returns none. ids and events are parallel. Call it only with
// no batch in hand: every pending entry then counts as abandoned.
func (b *Broker) WebhookClaim(ctx context.Context, stream string, count int, block time.Duration) (ids, events []string, err error) {
	held, err := b.lease(ctx, stream)
	if err != nil {
		return nil, nil, err
	}
	if !held {
		t := time.NewTimer(block)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return nil, nil, nil
	}
	key := b.webhookKey(stream)
	c1, cancel := b.call(ctx)
	res := b.client.Do(c1, b.client.B().Arbitrary("XAUTOCLAIM").Keys(key).Args(webhookGroup, b.opts.NodeID,
		"0", "0", "COUNT", strconv.Itoa(count)).Build())
	cancel()
	if err := res.Error(); err != nil {
		if isNoGroup(err) {
			return nil, nil, nil // nothing was ever appended
		}
		return nil, nil, err
	}
	if arr, err := res.ToArray(); err == nil && len(arr) >= 2 {
		if entries, err := arr[1].AsXRange(); err == nil && len(entries) > 0 {
			ids, events = entriesOf(entries)
			return ids, events, nil
		}
	}
	c2, cancel := context.WithTimeout(ctx, block+b.opts.Timeout)
	defer cancel()
	read, err := b.client.Do(c2, b.client.B().Xreadgroup().Group(webhookGroup, b.opts.NodeID).Count(int64(count)).
		Block(block.Milliseconds()).Streams().Key(key).Id(">").Build()).AsXRead()
	if rueidis.IsRedisNil(err) || isNoGroup(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	ids, events = entriesOf(read[key])
	return ids, events, nil
}

// WebhookTouch renews this node's lease on the stream while it posts a
// batch, so no other node takes the batch over meanwhile.
func (b *Broker) WebhookTouch(ctx context.Context, stream string) error {
	_, err := b.lease(ctx, stream)
	return err
}

// WebhookRelease gives the stream's lease back, so another node takes
// over at once rather than after NodeTTL.
func (b *Broker) WebhookRelease(ctx context.Context, stream string) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	// The lease goes back only if this node still holds it.
	return releaseScript.Exec(ctx, b.client, []string{b.webhookKey(stream) + ":lease"}, []string{b.opts.NodeID}).Error()
}

// WebhookAck removes entries that were delivered or given up.
func (b *Broker) WebhookAck(ctx context.Context, stream string, ids []string) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	key := b.webhookKey(stream)
	for _, r := range b.client.DoMulti(ctx,
		b.client.B().Xack().Key(key).Group(webhookGroup).Id(ids...).Build(),
		b.client.B().Xdel().Key(key).Id(ids...).Build()) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

func entriesOf(entries []rueidis.XRangeEntry) (ids, events []string) {
	for _, e := range entries {
		if v, ok := e.FieldValues["e"]; ok {
			ids, events = append(ids, e.ID), append(events, v)
		}
	}
	return ids, events
}

func isNoGroup(err error) bool {
	var re *rueidis.RedisError
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOGROUP")
}
