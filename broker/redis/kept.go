package redis

import (
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/broker"
)

// Kept departures (broker.DepartureKeeper): every held departure is also
// a member of one cluster-wide sorted set, keptKey, scored by its
// deadline in Redis's clock (unix ms). The node that held it settles it
// at its deadline and removes the entry; an entry whose deadline passed
// longer than keptSlack ago was left by a node that stopped (it hands its
// departures over) or crashed, and any live node's sweeper takes it: ZREM
// picks one taker, and settleScript still decides against a return, so
// the webhook goes out once. The entry names its held key by app and
// channel, so the set itself needs no hash tag shared with them.

// keptBatch bounds the entries one sweep takes.
const keptBatch = 100

// keptKey is the sorted set of kept departures.
func (b *Broker) keptKey() string { return b.opts.Prefix + ":held" }

// keptSlack is how long past its deadline a departure stays its holder's
// to settle before other nodes take it: two heartbeat ticks.
func (b *Broker) keptSlack() time.Duration { return 2 * b.tick() }

// keptMember encodes d as "app\x00channel\x00user\x00token" (names hold
// no NUL: the protocol's channel and user names are printable).
func keptMember(d broker.Departure) string {
	return d.App + "\x00" + d.Channel + "\x00" + d.User + "\x00" + d.Token
}

func parseKept(m string) (broker.Departure, bool) {
	f := strings.Split(m, "\x00")
	if len(f) != 4 || f[3] == "" {
		return broker.Departure{}, false
	}
	return broker.Departure{App: f[0], Channel: f[1], User: f[2], Token: f[3]}, true
}

// KeepDeparture implements broker.DepartureKeeper: one ZADD, on the
// caller's goroutine, bounded by Options.Timeout.
func (b *Broker) KeepDeparture(d broker.Departure, grace time.Duration) error {
	ctx, cancel := b.call(nil)
	defer cancel()
	due := float64(b.redisNow() + grace.Milliseconds())
	return b.client.Do(ctx, b.client.B().Zadd().Key(b.keptKey()).ScoreMember().ScoreMember(due, keptMember(d)).Build()).Error()
}

// CanHandOver implements broker.DepartureKeeper: another node is live.
func (b *Broker) CanHandOver() bool {
	ctx, cancel := b.call(nil)
	defer cancel()
	nodes, err := b.liveNodes(ctx)
	if err != nil {
		return false
	}
	for _, n := range nodes {
		if n != b.opts.NodeID {
			return true
		}
	}
	return false
}

// forget removes d's entry once settled (by Settle); a failure leaves it
// for a sweep, whose settleScript then finds nothing.
func (b *Broker) forget(d broker.Departure) {
	ctx, cancel := b.call(nil)
	defer cancel()
	_ = b.client.Do(ctx, b.client.B().Zrem().Key(b.keptKey()).Member(keptMember(d)).Build()).Error()
}

// sweepKept settles the kept departures whose deadline passed more than
// keptSlack ago, for a handler that sends their webhooks; heartbeat's
// goroutine starts it beside the beat, one round at a time.
func (b *Broker) sweepKept() {
	dh, ok := b.h.(broker.DepartureHandler)
	if !ok {
		return
	}
	ctx, cancel := b.call(nil)
	until := strconv.FormatInt(b.redisNow()-b.keptSlack().Milliseconds(), 10)
	due, err := b.client.Do(ctx, b.client.B().Zrangebyscore().Key(b.keptKey()).Min("-inf").Max(until).
		Limit(0, keptBatch).Build()).AsStrSlice()
	cancel()
	if err != nil {
		return
	}
	for _, m := range due {
		d, ok := parseKept(m)
		if ok && !dh.SettlesFor(d.App) {
			continue // a node with the app's webhooks takes it
		}
		ctx, cancel := b.call(nil)
		won, err := b.client.Do(ctx, b.client.B().Zrem().Key(b.keptKey()).Member(m).Build()).AsInt64()
		cancel()
		if err != nil || won != 1 || !ok {
			continue
		}
		if b.settleHeld(d) == 1 {
			b.opts.Logger.Info("redis: settled a departure its node left", "app", d.App, "channel", d.Channel, "user", d.User)
			dh.DepartureDue(d)
		}
	}
}

var _ broker.DepartureKeeper = (*Broker)(nil)
