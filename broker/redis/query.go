package redis

import (
	"context"
	"strconv"
	"strings"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// liveNodes are the nodes whose expiry has not passed.
func (b *Broker) liveNodes(ctx context.Context) ([]string, error) {
	now := strconv.FormatInt(b.redisNow(), 10)
	return b.client.Do(ctx, b.client.B().Zrangebyscore().Key(b.nodesKey()).Min(now).Max("+inf").Build()).AsStrSlice()
}

// ChannelInfo implements broker.Directory.
func (b *Broker) ChannelInfo(ctx context.Context, app, channel string) (broker.ChannelCount, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	nodes, err := b.liveNodes(ctx)
	if err != nil {
		return broker.ChannelCount{}, broker.ErrUnavailable
	}
	k := chanKey{app, channel}
	cmds := rueidis.Commands{b.client.B().Hlen().Key(b.presenceKeys(k)[1]).Build()}
	for _, n := range nodes {
		cmds = append(cmds, b.client.B().Hget().Key(b.subsKey(n)).Field(k.field()).Build())
	}
	var c broker.ChannelCount
	for i, r := range b.client.DoMulti(ctx, cmds...) {
		v, err := r.AsInt64()
		if err != nil && !rueidis.IsRedisNil(err) {
			return broker.ChannelCount{}, broker.ErrUnavailable
		}
		if i == 0 {
			c.Users = int(v)
		} else {
			c.Subscriptions += int(v)
		}
	}
	return c, nil
}

// Channels implements broker.Directory.
func (b *Broker) Channels(ctx context.Context, app, prefix string) (map[string]broker.ChannelCount, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	nodes, err := b.liveNodes(ctx)
	if err != nil {
		return nil, broker.ErrUnavailable
	}
	out := map[string]broker.ChannelCount{}
	if len(nodes) == 0 {
		return out, nil
	}
	cmds := make(rueidis.Commands, 0, len(nodes))
	for _, n := range nodes {
		cmds = append(cmds, b.client.B().Hgetall().Key(b.subsKey(n)).Build())
	}
	for _, r := range b.client.DoMulti(ctx, cmds...) {
		m, err := r.AsIntMap()
		if err != nil {
			return nil, broker.ErrUnavailable
		}
		for f, v := range m {
			if k, ok := parseField(f); ok && k.app == app && strings.HasPrefix(k.channel, prefix) && v > 0 {
				c := out[k.channel]
				c.Subscriptions += int(v)
				out[k.channel] = c
			}
		}
	}
	return out, b.countUsers(ctx, app, out)
}

// countUsers fills Users for the presence channels of out.
func (b *Broker) countUsers(ctx context.Context, app string, out map[string]broker.ChannelCount) error {
	var names []string
	var cmds rueidis.Commands
	for name := range out {
		if strings.HasPrefix(name, "presence-") {
			names = append(names, name)
			cmds = append(cmds, b.client.B().Hlen().Key(b.presenceKeys(chanKey{app, name})[1]).Build())
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	for i, r := range b.client.DoMulti(ctx, cmds...) {
		v, err := r.AsInt64()
		if err != nil {
			return broker.ErrUnavailable
		}
		c := out[names[i]]
		c.Users = int(v)
		out[names[i]] = c
	}
	return nil
}

// Members implements broker.Directory.
func (b *Broker) Members(ctx context.Context, app, channel string) ([]broker.Member, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	m, err := b.client.Do(ctx, b.client.B().Hgetall().Key(b.presenceKeys(chanKey{app, channel})[1]).Build()).AsStrMap()
	if err != nil {
		return nil, broker.ErrUnavailable
	}
	hash := make([]string, 0, 2*len(m))
	for id, info := range m {
		hash = append(hash, id, info)
	}
	return membersOf(hash), nil
}
