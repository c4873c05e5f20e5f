package config

import "time"

// Idempotency holds how long idempotency keys of HTTP API publishes are
// remembered: a publish that repeats an accepted key within Window is
// answered 200 and not delivered again. With Redis the keys are kept
// there (cluster-wide, bounded by Window); without it, in memory, at most
// MaxKeys of them.
type Idempotency struct {
	Window  time.Duration `yaml:"window"`   // default 5m; 0 turns idempotency keys off
	MaxKeys int           `yaml:"max_keys"` // in-memory store only; default 100000
}

func defaultIdempotency() Idempotency {
	return Idempotency{Window: 5 * time.Minute, MaxKeys: 100_000}
}

func (i Idempotency) validate() error {
	return first(
		notNegativeDuration("idempotency.window", i.Window),
		positive("idempotency.max_keys", i.MaxKeys),
	)
}
