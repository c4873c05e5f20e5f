package broker

import "context"

// OccupancyReader is an optional extension of Directory, found with a
// type assertion, for directories that keep occupancy outside the node
// (Redis). Occupied reports, for each channel, whether some node holds
// it: OccupyChannel without a later VacateChannel, from a live node or
// from a dead one not yet reaped. It returns ErrUnavailable when the
// shared layer cannot answer. Any goroutine; it may block up to ctx.
type OccupancyReader interface {
	Occupied(ctx context.Context, app string, channels []string) ([]bool, error)
}

// ChannelLeaver is an optional extension of ReapHandler: the node that
// reaps a dead node hears of every channel the dead node had subscribers
// of, whether or not other nodes still have some (ChannelReaped says
// when none has), so counts that include it can be announced again.
type ChannelLeaver interface {
	ChannelLeft(app, channel string)
}
