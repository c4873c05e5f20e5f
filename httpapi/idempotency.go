package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fanout/fanout/broker"
)

// Idempotent publishes. An event may carry an idempotency key: the body
// field "idempotency_key" (the Pusher server SDKs pass extra fields of
// trigger's params, and each event object of a batch, through to the
// body), or for POST /events the X-Idempotency-Key header. A repeat of a
// key accepted within the window is answered as the first was (200) and
// not delivered again. The key is part of the body that body_md5 signs,
// so only the app's backend can set it; keys are scoped by app.
//
// The race with an attempt still running: the first attempt claims the
// key (pending, for a lease) before it publishes, confirms it (done, for
// the window) once the publish is accepted and releases it when the
// publish fails, so a retry after a 503 is delivered. A repeat that finds
// the key pending waits for the first attempt to finish (at most
// inFlightWait): done, it is a duplicate; released, it claims the key and
// publishes itself; still pending, it is answered 503 with Retry-After and
// the backend's next retry decides. So neither attempt's outcome is lost
// and the event is delivered at most once, except where the node holding
// the key dies between the publish and the confirmation: the key is then
// freed when its lease ends and a later retry is delivered again.

// Idempotency limits and timings.
const (
	maxIdempotencyKey = 256 // bytes
	// idempotencyLease is how long a pending key waits for its attempt;
	// longer than any publish (they wait about a second for room).
	idempotencyLease = 30 * time.Second
	// inFlightWait is how long a repeat waits for a pending first attempt.
	inFlightWait = 2 * time.Second
)

// errInFlight answers a repeat whose first attempt is still running.
var errInFlight = errors.New("a publish with this idempotency_key is in progress, retry later")

// claim is one key this request holds while it publishes.
type claim struct{ key, token string }

// idempotencyKey is the key of an event: its body field, else the header
// (for a batch, the header's key with the event's index appended).
func idempotencyKey(r *http.Request, body string, batchIndex int) string {
	if body != "" {
		return body
	}
	k := r.Header.Get("X-Idempotency-Key")
	if k == "" || batchIndex < 0 {
		return k
	}
	return k + "#" + strconv.Itoa(batchIndex)
}

// validIdempotencyKey: 1 to 256 bytes of printable ASCII.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// claimKeys claims each non-empty key of app's events; dup[i] reports an
// event already accepted (not to be delivered). On an error the claims
// taken are released and none are returned.
func (h *Handler) claimKeys(ctx context.Context, app string, keys []string) (claims []claim, dup []bool, err error) {
	dup = make([]bool, len(keys))
	for i, k := range keys {
		if k == "" || h.o.IdempotencyWindow < 0 {
			continue
		}
		scoped := app + "\x00" + k
		var c claim
		c, dup[i], err = h.claimOne(ctx, scoped)
		if err != nil {
			h.settle(claims, false)
			return nil, nil, err
		}
		if !dup[i] {
			claims = append(claims, c)
		}
	}
	return claims, dup, nil
}

// claimOne claims key, waiting up to inFlightWait while another attempt
// holds it.
func (h *Handler) claimOne(ctx context.Context, key string) (claim, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, inFlightWait)
	defer cancel()
	backoff := 5 * time.Millisecond
	for {
		st, token, err := h.o.Idempotency.Claim(ctx, key, idempotencyLease)
		switch {
		case err != nil && ctx.Err() != nil && backoff > 5*time.Millisecond:
			return claim{}, false, errInFlight // timed out waiting
		case err != nil:
			return claim{}, false, err
		case st == broker.Claimed:
			return claim{key, token}, false, nil
		case st == broker.Duplicate:
			return claim{}, true, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return claim{}, false, errInFlight
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// settle confirms (the publish was accepted) or releases the claims. It
// runs on its own bounded context: the request's may be gone, and a key
// left pending would make retries wait for its lease.
func (h *Handler) settle(claims []claim, accepted bool) {
	if len(claims) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range claims {
		// An error leaves the key pending until its lease ends: a retry
		// meanwhile gets 503, one after it is delivered (again, if this
		// publish was accepted).
		if accepted {
			_ = h.o.Idempotency.Confirm(ctx, c.key, c.token, h.o.IdempotencyWindow)
		} else {
			_ = h.o.Idempotency.Release(ctx, c.key, c.token)
		}
	}
}

// claimError answers a failed claim: 503 with Retry-After either way (a
// retry may pass), naming the cause.
func claimError(w http.ResponseWriter, err error) {
	if errors.Is(err, errInFlight) {
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	brokerError(w, "publish", err)
}

func (h *Handler) duplicate(app string) {
	if h.o.Duplicate != nil {
		h.o.Duplicate(app)
	}
}
