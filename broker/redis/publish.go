package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

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
// channel, in order. When none keeps history they are plain PUBLISH
// commands, each checked against its listener set after it ran
// (plainpub.go), unless plainAllowed or anyHeldUp says otherwise;
// otherwise they run as scripts, and on a standalone Redis those
// without history share one
// script call (publishScript), also with concurrent Publish calls
// (coalesce.go). Any failure returns broker.ErrUnavailable, and so
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
	deadline, _ := ctx.Deadline()
	dlMs := b.redisDeadlineMs(ctx)
	dl := strconv.FormatInt(dlMs, 10)
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
	if !b.opts.Cluster && len(ks) == len(ps) {
		return b.publishCoalesced(ctx, ks)
	}
	// The others: one script call for all of them on a standalone Redis
	// (the call's fixed cost paid once), one each in a cluster (one call
	// stays on one slot); the kept ones one call each; all in one
	// pipeline. A channel's publications are all kept or all not, so
	// each channel keeps its order.
	var groups [][]plainPub // each plain call's publications
	next := 0
	for i := range ps {
		if next < len(keptAt) && keptAt[next] == i {
			next++
			continue
		}
		pp, err := b.newPlainPub(&ps[i], deadline)
		if err != nil {
			return err
		}
		if b.opts.Cluster || len(groups) == 0 {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], pp)
	}
	if len(ks) == 0 && b.plainAllowed(ctx) {
		all := groups[0] // standalone: one group; a cluster's are one each
		if len(groups) > 1 {
			all = slices.Concat(groups...)
		}
		if !b.anyHeldUp(all) {
			return b.publishPlain(ctx, all) // plainpub.go
		}
	}
	if !b.opts.Cluster && len(ks) == 0 {
		return b.plainQ.run(ctx, groups[0], dlMs, maxPlainCalls, maxPlainBatch, b.sendPlainCalls)
	}
	calls := make([]scriptCall, 0, len(groups)+len(ks))
	for _, g := range groups {
		calls = append(calls, b.publishCall(dl, g))
	}
	for j := range ks {
		calls = append(calls, b.publishKeptCall(ks[j:j+1]))
	}
	s := &settling{mark: b.confirms.Load()} // before anything is sent (see held)
	res := b.runScripts(ctx, calls...)
	var err error
	for j, g := range groups {
		err = cmp.Or(err, b.settlePlain(res[j], g, s))
	}
	for j := range ks {
		err = cmp.Or(err, b.settleKept(ks[j:j+1], res[len(groups)+j], s))
	}
	b.explain(s.refused) // this caller's own calls: no other publish waits for it
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
	call := b.publishCall(b.redisDeadline(ctx), []plainPub{{lkey: listenersKey(b.controlName()), msg: string(msg)}})
	return b.settlePlain(b.runScripts(ctx, call)[0], nil, &settling{})
}

// settlePlain reads the publish script's answer r for pubs (nil: one
// publication on the control channel, no subscription check), settled
// with s (see sentTo), and turns into
// broker.ErrUnavailable a failed call and each publication sentTo
// refuses; the first refusal is the error.
func (b *Broker) settlePlain(r rueidis.RedisResult, pubs []plainPub, s *settling) error {
	outs, err := b.plainAnswers(r, max(len(pubs), 1))
	if err != nil {
		return err
	}
	return b.settlePlainOuts(pubs, outs, s)
}

// plainAnswers is the publish script's answer r as its n counts, one per
// publication.
func (b *Broker) plainAnswers(r rueidis.RedisResult, n int) ([]int64, error) {
	if err := r.Error(); err != nil {
		b.refusals.add("redis publish failed", "", "", err.Error())
		return nil, broker.ErrUnavailable
	}
	outs, err := r.AsIntSlice()
	if err != nil || len(outs) != n {
		b.opts.Logger.Warn("redis publish script: unexpected answer", "answers", len(outs), "want", n, "err", err)
		return nil, broker.ErrUnavailable
	}
	return outs, nil
}

// settlePlainOuts checks each count of outs for its publication of pubs
// (nil: the control channel's one, not checked); the first refusal is
// the error.
func (b *Broker) settlePlainOuts(pubs []plainPub, outs []int64, s *settling) error {
	var first error
	for i, n := range outs {
		var p *broker.Publication
		if pubs != nil {
			p = pubs[i].p
		}
		first = cmp.Or(first, b.sentTo(n, p, s))
	}
	return first
}

// sentTo checks one publish script's count of receivers n for p (nil:
// no subscription check), sent when b.confirms read s.mark: -1 is a
// publish Redis ran past its deadline,
// -2 one refused because a node of the channel's listener set is not
// subscribed (see listeners.go; the error is a broker.UnavailableError
// that names the node and when a retry may pass, crashed.go, noted in s
// for explain to fill in: the caller is answered once explain ran), and
// 0 while this node holds p's channel with a subscription confirmed
// before mark means Redis dropped that subscription and this node has
// not noticed yet. A subscription confirmed after mark is no such sign: the
// publication came first, and no subscriber was told it was subscribed
// before it was sent. Each is logged through the refusal log, summed up
// per kind.
func (b *Broker) sentTo(n int64, p *broker.Publication, s *settling) error {
	if n == -2 && p != nil {
		return s.refuse(b, p)
	}
	if n < 0 {
		b.refusals.add("redis publish ran after its deadline; not sent", "", "", "")
		return broker.ErrUnavailable
	}
	if n == 0 && p != nil && b.held(b.channelName(p.App, p.Channel), s.mark) {
		b.refusals.add("redis publish reached no subscriber while this node is subscribed; refused", "", p.Channel, "")
		return broker.ErrUnavailable
	}
	return nil
}

// publishScript publishes messages, each before the deadline ARGV[1]
// (Redis's clock, unix ms, see redisDeadline) and when every node of its
// channel's listener set is subscribed to the channel, with command
// ARGV[2] (PUBLISH or SPUBLISH): KEYS[i] is the listener set
// (listenersKey) of publication i, ARGV[2i+1] its pub/sub channel,
// ARGV[2i+2] its message. It answers per publication, in order, the
// receivers Redis counted, -1 when Redis ran it past the deadline, or -2
// when a node of the listener set is not subscribed (Redis counts fewer
// subscribers of the channel, PUBSUB NUMSUB or SHARDNUMSUB, than the set
// names nodes: see listeners.go); a refused publication is not sent.
// The deadline: a call that waited in a stalled Redis (SIGSTOP, a long
// fork) beyond the caller's timeout was answered 503 already, and a
// later publication of the channel may have gone out through another
// connection; running it now would send a refused event after an
// accepted newer one. The listener check costs one SCARD, and for a
// channel some node listens to one PUBSUB NUMSUB, both O(1). In a
// cluster the keys of one call share a slot (one publication per call),
// so the cluster routes it to the channels' shard.
var publishScript = newScript(`local t = redis.call('TIME')
local late = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[1])
local count = 'NUMSUB'
if ARGV[2] == 'SPUBLISH' then count = 'SHARDNUMSUB' end
local out = {}
for i = 1, #KEYS do
  local ch = ARGV[2 * i + 1]
  local want = 0
  if not late then want = redis.call('SCARD', KEYS[i]) end
  if late then
    out[i] = -1
  elseif want > 0 and redis.call('PUBSUB', count, ch)[2] < want then
    out[i] = -2
  else
    out[i] = redis.call(ARGV[2], ch, ARGV[2 * i + 2])
  end
end
return out
`)

// plainPub is one publication of a channel without history on its way
// to publishScript: p (nil for the control channel), its listener set
// and its message.
type plainPub struct {
	p         *broker.Publication
	lkey, msg string
}

func (b *Broker) newPlainPub(p *broker.Publication, dl time.Time) (plainPub, error) {
	msg, err := json.Marshal(b.stamp(p, dl))
	if err != nil {
		return plainPub{}, err
	}
	return plainPub{p: p, lkey: b.listenersOf(p.App, p.Channel), msg: string(msg)}, nil
}

// publishCall is one call of publishScript with deadline dl for pubs.
func (b *Broker) publishCall(dl string, pubs []plainPub) scriptCall {
	c := scriptCall{s: publishScript, keys: make([]string, 0, len(pubs)), args: make([]string, 2, 2+2*len(pubs))}
	c.args[0], c.args[1] = dl, b.publishVerb()
	for _, pp := range pubs {
		c.keys = append(c.keys, pp.lkey)
		c.args = append(c.args, channelOfListeners(pp.lkey), pp.msg)
	}
	return c
}

// publishVerb is the publish command of the deployment.
func (b *Broker) publishVerb() string {
	if b.opts.Cluster {
		return "SPUBLISH"
	}
	return "PUBLISH"
}

// redisDeadline is ctx's deadline in Redis's clock (unix ms), as the
// heartbeat last measured the offset between the clocks, made earlier
// by that measurement's possible error (half its round trip): a
// publication the caller gave up on must never run after one sent once
// the caller was answered, even when the offset was measured in a slow
// round trip (a loaded machine), so an error can only make the script
// refuse a little early, never run it late.
func (b *Broker) redisDeadline(ctx context.Context) string {
	return strconv.FormatInt(b.redisDeadlineMs(ctx), 10)
}

// redisDeadlineMs is redisDeadline as a number.
func (b *Broker) redisDeadlineMs(ctx context.Context) int64 {
	dl, _ := ctx.Deadline()
	return dl.UnixMilli() + b.clockSkew.Load() - b.clockErr.Load()
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
	var w wirePub
	if json.Unmarshal([]byte(m.Message), &w) != nil {
		b.opts.Logger.Warn("redis: undecodable publication", "channel", m.Channel)
		return
	}
	if !b.late.admit(m.Channel, w.Sent, w.Until, w.Clock) {
		b.refusals.add("redis publication ran after its caller was answered 503 and after a later one; not delivered", "", w.Channel, "")
		b.reportLate()
		return
	}
	p := w.Publication
	if o, ok := b.h.(broker.Offerer); ok {
		b.handOver(o, p)
		return
	}
	b.h.Deliver(p)
}
