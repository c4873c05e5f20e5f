package redis

import (
	"context"
	"encoding/json"

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
	cmds := make(rueidis.Commands, 0, len(ps))
	var kept []int // indexes of ps (and cmds) that keep history
	for i := range ps {
		p := &ps[i]
		if b.policy != nil {
			if spec, ok := b.policy.HistoryFor(p.App, p.Channel); ok {
				cmd, err := b.publishKeptCmd(p, spec)
				if err != nil {
					return err
				}
				kept = append(kept, i)
				cmds = append(cmds, cmd)
				continue
			}
		}
		msg, err := json.Marshal(p)
		if err != nil {
			return err
		}
		cmds = append(cmds, b.publishCmd(b.channelName(p.App, p.Channel), string(msg)))
	}
	if kept == nil {
		return b.send(ctx, cmds)
	}
	return b.sendKept(ctx, cmds, ps, kept)
}

// sendKept is send for a pipeline with history scripts: it also reads
// the positions the scripts assigned into ps.
func (b *Broker) sendKept(ctx context.Context, cmds rueidis.Commands, ps []broker.Publication, kept []int) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	res := b.client.DoMulti(ctx, cmds...)
	for _, r := range res {
		if err := r.Error(); err != nil {
			b.opts.Logger.Warn("redis publish failed", "err", err)
			return broker.ErrUnavailable
		}
	}
	for _, i := range kept {
		if !setPosition(&ps[i], res[i]) {
			return broker.ErrUnavailable
		}
	}
	return nil
}

// TerminateUser implements broker.Broker: every node (this one too)
// closes the user's connections when the command comes back.
func (b *Broker) TerminateUser(ctx context.Context, app, userID string) error {
	if b.isClosed() {
		return broker.ErrClosed
	}
	msg, _ := json.Marshal(control{Op: "terminate", App: app, User: userID})
	return b.send(ctx, rueidis.Commands{b.publishCmd(b.controlName(), string(msg))})
}

func (b *Broker) send(ctx context.Context, cmds rueidis.Commands) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	for _, r := range b.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			b.opts.Logger.Warn("redis publish failed", "err", err)
			return broker.ErrUnavailable
		}
	}
	return nil
}

func (b *Broker) publishCmd(channel, msg string) rueidis.Completed {
	if b.opts.Cluster {
		return b.client.B().Spublish().Channel(channel).Message(msg).Build()
	}
	return b.client.B().Publish().Channel(channel).Message(msg).Build()
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
