package broker

import "time"

// UnavailableError is ErrUnavailable with what holds the broker up and
// when a retry may pass: errors.Is(err, ErrUnavailable) holds for it, so
// callers that only tell the kinds apart need not know it. The HTTP API
// turns RetryAfter into the 503's Retry-After (RFC 9110, section 10.2.3).
type UnavailableError struct {
	// Reason says why, for a person: e.g. which node holds a channel up
	// and what it is waiting for.
	Reason string
	// RetryAfter is how long until a retry may pass, as the broker
	// estimates it; 0 when it cannot tell.
	RetryAfter time.Duration
}

func (e *UnavailableError) Error() string { return string(ErrUnavailable) + ": " + e.Reason }

// Is makes errors.Is(err, ErrUnavailable) hold.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }
