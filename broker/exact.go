package broker

import "context"

type exactRefusalsKey struct{}

// WithExactRefusals marks the publishes made with the returned context as
// ones whose refusal must mean that no subscriber received them, even
// where the broker's cheaper path would refuse after a partial delivery
// (the Redis broker's plain publishes). The HTTP API asks it for
// publishes that carry an idempotency key, whose key a refusal releases
// for the caller's retry.
func WithExactRefusals(ctx context.Context) context.Context {
	return context.WithValue(ctx, exactRefusalsKey{}, true)
}

// ExactRefusals reports whether ctx came from WithExactRefusals.
func ExactRefusals(ctx context.Context) bool {
	v, _ := ctx.Value(exactRefusalsKey{}).(bool)
	return v
}
