package httpapi

import (
	"context"
	"net/http"
	"time"
)

// publishTimeout bounds how long a publish may hold the broker once the
// request that asked for it is gone: long enough for a Redis round trip
// under load, short enough that a node's stop is not held up by it.
const publishTimeout = 10 * time.Second

// publishContext is the broker context of r's publish. It does not end
// with r: neither a node that stops serving HTTP (its drain, which
// cancels request contexts) nor a client that hangs up halfway may cut a
// publish whose event may already be on its way, since then nobody can
// tell whether it went out. It ends after publishTimeout.
func publishContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), publishTimeout)
}
