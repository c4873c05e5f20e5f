package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// Publications to channels without history go out, unless
// Options.StrictRefusals, as plain commands: per publication a PUBLISH
// (SPUBLISH in a cluster; https://redis.io/docs/latest/commands/publish/)
// and then the SCARD of the channel's listener set (listeners.go), all
// of one Publish call in one pipeline, in order. Redis answers PUBLISH
// with the number of clients that received the message, and each node
// listening to the channel is one subscribed client, so a count below
// the listener set's size means a listening node was not subscribed
// (its pub/sub connection broke, it crashed and is not reaped yet, a
// cluster failover moved the slot): the publication is refused, and the
// nodes that did receive it deliver it. That keeps the promise that an
// accepted publication reaches every listening node at Redis's cost of
// a plain publish (about two thirds of publishScript's),
// and makes a refusal ambiguous in those moments, as a timeout is.
//
// SCARD runs after PUBLISH, so the check can only err on the strict
// side: a node enters a listener set once its subscription is confirmed
// and leaves it before it unsubscribes (listeners.go), so a node that
// joined in between makes the count look short, and one that left in
// between was still subscribed when the publication ran, or was reaped
// as dead with its subscribers. Without a script there is no deadline
// either: a publication whose caller timed out in a stalled Redis may
// still run once Redis resumes; the receiving nodes drop it when it ran
// after a publication sent after its deadline (late.go).

// A channel refused that way stays suspect until the node holding it
// up is estimated to be back (crashed.go; the estimate is cached before
// the refused caller is answered, explain.go): while it does, publications
// to it run as the script again (anyHeldUp), which refuses before it
// publishes, so a client retrying during a node's crash gets 503s that
// delivered nothing rather than a duplicate on every retry, and is
// accepted as soon as the node is back.

// plainAllowed reports whether a Publish call with ctx may go out as
// plain commands when its channels keep no history. It may not with
// Options.StrictRefusals, for a caller that asked for exact refusals
// (broker.WithExactRefusals: an idempotency key, which a refusal
// releases for a retry), before this node measured the clocks (it could
// not stamp the bounds of late.go), and while a standalone Redis has a
// client subscribed by pattern (PUBSUB NUMPAT at the last heartbeat):
// PUBLISH's count includes pattern subscribers, so one could stand in
// for a listening node that missed the publication. A pattern
// subscriber that appears between two heartbeats (at most NodeTTL/3,
// 500 ms by default) is seen at the next one.
func (b *Broker) plainAllowed(ctx context.Context) bool {
	return !b.opts.StrictRefusals && !broker.ExactRefusals(ctx) && b.clockErr.Load() > 0 &&
		(b.opts.Cluster || !b.patternSubs.Load())
}

// anyHeldUp reports whether a publication of pubs goes to a channel
// recently refused by its listener check.
func (b *Broker) anyHeldUp(pubs []plainPub) bool {
	now := time.Now()
	for _, pp := range pubs {
		if b.holdUps.holding(pp.lkey, now) {
			return true
		}
	}
	return false
}

// publishPlain sends pubs as plain commands and settles each; the first
// refusal or failure is the error (broker.ErrUnavailable or a
// *broker.UnavailableError naming the node that held a channel up,
// looked up after the pipeline's in-flight place is given up:
// explain.go).
// Concurrent calls share one pipeline, with one in flight, as the
// scripts' calls do (coalesce.go): back-to-back publishers on a node
// then cost Redis one read and one reply for what queued meanwhile.
func (b *Broker) publishPlain(ctx context.Context, pubs []plainPub) error {
	err := b.plainCmdQ.run(ctx, pubs, 0, maxPlainCalls, maxPlainBatch, b.sendPlainCommands)
	if dl, _ := ctx.Deadline(); err == nil && !time.Now().Before(dl) {
		// Answered after the deadline (the call that sends runs in the
		// first caller's goroutine, whose wait then sees its answer
		// and its deadline at once): it may have run after it, and a
		// receiver may then drop it (late.go), so it is refused. It
		// ran already; nothing the caller sends next can overtake it.
		b.refusals.add("redis publish answered after its deadline; refused", "", pubs[0].p.Channel, "")
		return broker.ErrUnavailable
	}
	if err != nil && (ctx.Err() != nil || errors.Is(err, errOutcomeUnknown)) {
		// Sent, and may still run: answer once its deadline passed, by
		// a margin beyond the nodes' clock errors, so what the caller
		// sends next cannot overtake it unseen (late.go).
		<-ctx.Done()
		time.Sleep(b.lateMargin())
	}
	return err
}

// errOutcomeUnknown is a pipeline that failed on its way: Redis may
// still run it.
var errOutcomeUnknown = fmt.Errorf("%w: redis may still run the publish", broker.ErrUnavailable)

// sendPlainCommands sends the publications of calls (items in all) as
// one pipeline, in order, and settles each call.
func (b *Broker) sendPlainCommands(calls []*queuedCall[plainPub], items int) {
	sendShared(b, calls, items, func(ctx context.Context, pubs []plainPub, _ int64) (func([]plainPub, int, *settling) error, error) {
		cmds := make(rueidis.Commands, 0, 2*len(pubs))
		for _, pp := range pubs {
			cmds = append(cmds, b.plainPublishCmd(channelOfListeners(pp.lkey), pp.msg),
				b.client.B().Scard().Key(pp.lkey).Build())
		}
		res := b.client.DoMulti(ctx, cmds...)
		unknown := slices.ContainsFunc(res, func(r rueidis.RedisResult) bool { return mayStillRun(r.Error()) })
		return func(items []plainPub, at int, s *settling) error {
			var first error
			for i := range items {
				j := 2 * (at + i)
				first = cmp.Or(first, b.settlePlainPair(res[j], res[j+1], items[i].p, s))
			}
			if first != nil && unknown {
				return errOutcomeUnknown
			}
			return first
		}, nil
	})
}

// plainPublishCmd is the deployment's publish command for msg on ch.
func (b *Broker) plainPublishCmd(ch, msg string) rueidis.Completed {
	if b.opts.Cluster {
		return b.client.B().Spublish().Channel(ch).Message(msg).Build()
	}
	return b.client.B().Publish().Channel(ch).Message(msg).Build()
}

// settlePlainPair checks p's publish answer (its receivers n) against
// its listener set's size w, read after it, with s (see sentTo); a
// refusal's error is filled in by explain.
func (b *Broker) settlePlainPair(pub, card rueidis.RedisResult, p *broker.Publication, s *settling) error {
	n, err := pub.AsInt64()
	if err != nil {
		b.refusals.add("redis publish failed", "", p.Channel, err.Error())
		return broker.ErrUnavailable
	}
	w, err := card.AsInt64()
	if err != nil {
		// The publication went out; which nodes listened is unknown.
		b.refusals.add("redis publish sent, its listener check failed; refused", "", p.Channel, err.Error())
		return broker.ErrUnavailable
	}
	if n < w {
		return s.refuse(b, p)
	}
	return b.sentTo(n, p, s)
}
