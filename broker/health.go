package broker

import "time"

// HealthReporter is an optional extension of Broker, found with a type
// assertion, for brokers backed by a server of their own (Redis): fn is
// called after each check of that server with whether it answered and,
// when it did, the round trip. Set it before Start; the checks call fn
// from the broker's own goroutine, so fn must not block.
type HealthReporter interface {
	OnHealth(fn func(up bool, rtt time.Duration))
}
