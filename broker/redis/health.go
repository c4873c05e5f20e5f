package redis

import "time"

// healthFunc is what OnHealth is given.
type healthFunc = func(up bool, rtt time.Duration)

// OnHealth implements broker.HealthReporter: fn hears of each heartbeat
// (every NodeTTL/3, at most 500 ms apart) whether Redis answered and the
// round trip of the heartbeat's script call, a few microseconds of
// script plus the network and Redis's queue.
func (b *Broker) OnHealth(fn func(up bool, rtt time.Duration)) {
	h := healthFunc(fn)
	b.onHealth.Store(&h)
}

// OnLate implements broker.LateReporter (late.go).
func (b *Broker) OnLate(fn func()) { b.onLate.Store(&fn) }

func (b *Broker) reportLate() {
	if fn := b.onLate.Load(); fn != nil && *fn != nil {
		(*fn)()
	}
}

func (b *Broker) reportHealth(up bool, rtt time.Duration) {
	if fn := b.onHealth.Load(); fn != nil && *fn != nil {
		(*fn)(up, rtt)
	}
}
