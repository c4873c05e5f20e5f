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

// LateReporter is an optional extension of Broker, found with a type
// assertion, for brokers whose publications may run after their caller
// was answered (Redis without a deadline in Redis): fn is called for each
// publication the broker did not deliver because it ran after its
// caller was refused and after a later publication of its channel. Set
// it before Start; fn must not block.
type LateReporter interface {
	OnLate(fn func())
}
