package redis

import (
	"context"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// Occupied implements broker.OccupancyReader: one pipeline of SCARD over
// the channels' occupancy sets (see occupancy.go).
func (b *Broker) Occupied(ctx context.Context, app string, channels []string) ([]bool, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	cmds := make(rueidis.Commands, len(channels))
	for i, ch := range channels {
		cmds[i] = b.client.B().Scard().Key(b.occupancyKey(chanKey{app, ch})).Build()
	}
	out := make([]bool, len(channels))
	for i, r := range b.client.DoMulti(ctx, cmds...) {
		n, err := r.AsInt64()
		if err != nil {
			return nil, broker.ErrUnavailable
		}
		out[i] = n > 0
	}
	return out, nil
}
