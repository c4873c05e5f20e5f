package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// control is a cluster-wide command on the control channel.
type control struct {
	Op   string `json:"op"` // "terminate"
	App  string `json:"a"`
	User string `json:"u"`
}

// Publish implements broker.Broker: the publications go out as one
// pipeline (one round trip for a burst), each to its channel's Redis
// channel, in order. Any failure returns broker.ErrUnavailable, and so
// does a publication to a channel whose subscription this node lost (its
// pub/sub connection failed, or a cluster failover moved the slot) and
// has not had confirmed again: Redis would take it, and this node's
// subscribers would never see it.
func (b *Broker) Publish(ctx context.Context, ps ...broker.Publication) error {
	if b.isClosed() {
		return broker.ErrClosed
	}
	if len(ps) == 0 {
		return nil
	}
	if b.lost.Load() != 0 {
		for i := range ps {
			if b.restoring(b.channelName(ps[i].App, ps[i].Channel)) {
				return broker.ErrUnavailable
			}
		}
	}
	ctx, cancel := b.call(ctx)
	defer cancel()
	dl := b.redisDeadline(ctx)
	var ks []kept    // the publications that keep history, in order
	var keptAt []int // their indexes in ps
	for i := range ps {
		if b.policy == nil {
			break
		}
		if spec, ok := b.policy.HistoryFor(ps[i].App, ps[i].Channel); ok {
			k, err := b.newKept(&ps[i], spec, dl)
			if err != nil {
				return err
			}
			ks, keptAt = append(ks, k), append(keptAt, i)
		}
	}
	if len(ks) == len(ps) && !b.opts.Cluster {
		return b.publishCoalesced(ctx, ks)
	}
	// Mixed with other channels (or in a cluster, where one script call
	// must stay on one slot): one script call per kept publication, all
	// in one pipeline, in order.
	calls := make([]scriptCall, 0, len(ps))
	next := 0
	for i := range ps {
		if next < len(keptAt) && keptAt[next] == i {
			calls = append(calls, b.publishKeptCall(ks[next:next+1]))
			next++
			continue
		}
		msg, err := json.Marshal(&ps[i])
		if err != nil {
			return err
		}
		calls = append(calls, b.publishCall(b.listenersOf(ps[i].App, ps[i].Channel), string(msg), dl))
	}
	res := b.runScripts(ctx, calls...)
	err := b.checkSent(res, ps)
	for j, i := range keptAt {
		err = cmp.Or(err, b.settleKept(ks[j:j+1], res[i]))
	}
	return err
}

// TerminateUser implements broker.Broker: every node (this one too)
// closes the user's connections when the command comes back.
func (b *Broker) TerminateUser(ctx context.Context, app, userID string) error {
	if b.isClosed() {
		return broker.ErrClosed
	}
	msg, _ := json.Marshal(control{Op: "terminate", App: app, User: userID})
	ctx, cancel := b.call(ctx)
	defer cancel()
	call := b.publishCall(listenersKey(b.controlName()), string(msg), b.redisDeadline(ctx))
	return b.checkSent(b.runScripts(ctx, call), nil)
}

// checkSent turns into broker.ErrUnavailable a failed command, a script
// that found its deadline passed (it answers -1) or a listening node not
// subscribed (-2, see listeners.go), and a publication of
// ps (nil: no such check) that reached no subscriber although this node
// holds a subscription to its channel: Redis dropped that subscription
// and this node has not noticed yet, so its own subscribers missed it.
func (b *Broker) checkSent(res []rueidis.RedisResult, ps []broker.Publication) error {
	for i, r := range res {
		if err := r.Error(); err != nil {
			b.refusals.add("redis publish failed", "", "", err.Error())
			return broker.ErrUnavailable
		}
		n, err := r.AsInt64()
		if err != nil {
			continue // a history script's answers: settleKept reads them
		}
		var p *broker.Publication
		if ps != nil {
			p = &ps[i]
		}
		if err := b.sentTo(n, p); err != nil {
			return err
		}
	}
	return nil
}

// sentTo checks one publish script's count of receivers n for p (nil:
// no subscription check): -1 is a publish Redis ran past its deadline,
// -2 one refused because a node of the channel's listener set is not
// subscribed (see listeners.go; the error is a broker.UnavailableError
// that names the node and when a retry may pass, crashed.go), and 0
// while this node holds p's channel means Redis dropped that
// subscription and this node has not noticed yet. Each is logged
// through the refusal log, summed up per kind.
func (b *Broker) sentTo(n int64, p *broker.Publication) error {
	if n == -2 && p != nil {
		return b.explainRefusal(p.App, p.Channel)
	}
	if n < 0 {
		b.refusals.add("redis publish ran after its deadline; not sent", "", "", "")
		return broker.ErrUnavailable
	}
	if n == 0 && p != nil && b.holds(b.channelName(p.App, p.Channel)) {
		b.refusals.add("redis publish reached no subscriber while this node is subscribed; refused", "", p.Channel, "")
		return broker.ErrUnavailable
	}
	return nil
}

// expiredSource is the head of every publish script: ARGV[1] is the
// publication's deadline in Redis's clock (unix ms, see redisDeadline);
// past it the script does nothing and answers -1. A command that waited
// in a stalled Redis (SIGSTOP, a long fork) beyond the caller's timeout
// was answered 503 already, and a later publication of the channel may
// have gone out through another connection: running it now would send
// a refused event after an accepted newer one.
const expiredSource = `local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[1]) then return -1 end
`

// publishScript publishes ARGV[3] on ARGV[2] with command ARGV[4]
// (PUBLISH or SPUBLISH) before the deadline ARGV[1], when every node of
// the channel's listener set KEYS[1] is subscribed (heardSource); the
// key shares the channel's slot, so a cluster routes the script to the
// channel's shard.
var publishScript = newScript(expiredSource + heardSource(1, 2, 4) + `return redis.call(ARGV[4], ARGV[2], ARGV[3])`)

// publishCall publishes msg on the Redis channel of the listener set
// lkey (listenersKey) unless Redis runs it after the deadline dl
// (redisDeadline) or a listening node is not subscribed.
func (b *Broker) publishCall(lkey, msg, dl string) scriptCall {
	return scriptCall{s: publishScript, keys: []string{lkey}, args: []string{dl, channelOfListeners(lkey), msg, b.publishVerb()}}
}

// publishVerb is the publish command of the deployment.
func (b *Broker) publishVerb() string {
	if b.opts.Cluster {
		return "SPUBLISH"
	}
	return "PUBLISH"
}

// redisDeadline is ctx's deadline in Redis's clock (unix ms), as the
// heartbeat last measured the offset between the clocks.
func (b *Broker) redisDeadline(ctx context.Context) string {
	dl, _ := ctx.Deadline()
	return strconv.FormatInt(dl.UnixMilli()+b.clockSkew.Load(), 10)
}

// onMessage hands one Redis message to the handler.
func (b *Broker) onMessage(m rueidis.PubSubMessage) {
	if m.Channel == b.controlName() {
		var c control
		if json.Unmarshal([]byte(m.Message), &c) == nil && c.Op == "terminate" {
			b.h.TerminateUser(c.App, c.User)
		}
		return
	}
	var p broker.Publication
	if json.Unmarshal([]byte(m.Message), &p) != nil {
		b.opts.Logger.Warn("redis: undecodable publication", "channel", m.Channel)
		return
	}
	if o, ok := b.h.(broker.Offerer); ok {
		b.handOver(o, p)
		return
	}
	b.h.Deliver(p)
}
