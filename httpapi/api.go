package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/pusher"
)

// Backend is what the API needs from the node (pusher.Server implements it).
type Backend interface {
	AppCredentials(id string) (pusher.Credentials, bool)
	Publish(ctx context.Context, ps ...broker.Publication) error
	ChannelInfo(ctx context.Context, app, channel string) (pusher.ChannelInfo, error)
	Channels(ctx context.Context, app, prefix string) (map[string]pusher.ChannelInfo, error)
	Users(ctx context.Context, app, channel string) ([]string, error)
	Terminate(ctx context.Context, app, userID string) error
	// History reads a channel's kept events; pusher.ErrNoHistory when the
	// channel keeps none.
	History(ctx context.Context, app, channel string, q broker.HistoryQuery) (broker.HistoryPage, error)
	Ready() error
}

// Options configure the API. The zero value of each field means the
// default given on it.
type Options struct {
	// APIRate is how many signed requests a second one app may make
	// (with a second's worth at once); past it the answer is 429 with
	// Retry-After. 0 means DefaultAPIRate; a negative value, no limit.
	APIRate int
	// Throttled, when set, is told of each request of app refused for
	// APIRate — for metrics.
	Throttled func(app string)
	// MaxBodySize bounds a request body; 0 means 256 KiB (ten events of
	// 10 KiB data plus their envelopes fit).
	MaxBodySize int64
	// MaxSkew is how far auth_timestamp may be from now; 0 means 600 s.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Refused, when set, is told of each request of a known app that was
	// refused (bad signature, bad body, limits) — for metrics.
	Refused func(app string)
	// Observe, when set, is told of every request once answered: its
	// endpoint (a fixed route name, see Endpoint), status code and
	// duration — for metrics.
	Observe func(endpoint string, code int, took time.Duration)
	// Idempotency remembers the idempotency keys of accepted publishes
	// (see idempotency.go); nil means an in-memory store of 100,000 keys
	// (broker.NewMemoryIdempotency), right for a single node only.
	Idempotency broker.Idempotency
	// IdempotencyWindow is how long an accepted key is remembered; 0
	// means 5 minutes, a negative value turns idempotency keys off (they
	// are then ignored).
	IdempotencyWindow time.Duration
	// Duplicate, when set, is told of each event of app answered without
	// being delivered because its key was accepted before — for metrics.
	Duplicate func(app string)
}

// Handler serves the HTTP API.
type Handler struct {
	b     Backend
	o     Options
	mux   *http.ServeMux
	limit throttle
}

// New returns the API handler over b.
func New(b Backend, o Options) *Handler {
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = 256 << 10
	}
	if o.APIRate == 0 {
		o.APIRate = DefaultAPIRate
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdempotencyWindow == 0 {
		o.IdempotencyWindow = 5 * time.Minute
	}
	if o.Idempotency == nil {
		o.Idempotency = broker.NewMemoryIdempotency(0, o.Now)
	}
	h := &Handler{b: b, o: o, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, map[string]string{"status": "ok"}) })
	h.mux.HandleFunc("GET /readyz", h.ready)
	h.mux.HandleFunc("POST /apps/{app}/events", h.signed(h.events))
	h.mux.HandleFunc("POST /apps/{app}/batch_events", h.signed(h.batchEvents))
	h.mux.HandleFunc("GET /apps/{app}/channels", h.signed(h.channels))
	h.mux.HandleFunc("GET /apps/{app}/channels/{channel}", h.signed(h.channel))
	h.mux.HandleFunc("GET /apps/{app}/channels/{channel}/users", h.signed(h.users))
	h.mux.HandleFunc("GET /apps/{app}/channels/{channel}/history", h.signed(h.history))
	h.mux.HandleFunc("POST /apps/{app}/users/{user}/terminate_connections", h.signed(h.terminate))
	h.limit.rate = float64(max(o.APIRate, 0))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.o.Observe != nil {
		h.observe(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	if err := h.b.Ready(); err != nil {
		WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	WriteJSON(w, 200, map[string]string{"status": "ready"})
}

// request is a signed API call after its checks.
type request struct {
	app     string
	maxData int
	body    []byte
}

// signed checks the app, the body size and the Pusher signature before fn.
func (h *Handler) signed(fn func(http.ResponseWriter, *http.Request, *request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		appID := r.PathValue("app")
		cred, ok := h.b.AppCredentials(appID)
		if !ok {
			WriteError(w, http.StatusNotFound, "unknown app")
			return
		}
		if strings.HasSuffix(r.URL.Path, "events") { // a refused publish counts
			w = &refusalWriter{ResponseWriter: w, app: appID, refused: h.o.Refused}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodySize))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				WriteError(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			WriteError(w, http.StatusBadRequest, "cannot read body")
			return
		}
		q := r.URL.Query()
		if k := q.Get("auth_key"); k != "" && k != cred.Key { // a missing one: VerifyRequest says so
			WriteError(w, http.StatusUnauthorized, auth.RequestError{Reason: "unknown auth_key"}.Error())
			return
		}
		check := auth.RequestCheck{Method: r.Method, Path: r.URL.Path, Query: q, Body: body, Now: h.o.Now(), MaxSkew: h.o.MaxSkew}
		err = auth.VerifyRequest(check, cred.Secret)
		if err != nil && cred.PreviousSecret != "" && auth.VerifyRequest(check, cred.PreviousSecret) == nil {
			err = nil // a backend still on the secret being rotated out
		}
		if err != nil {
			WriteError(w, http.StatusUnauthorized, err.Error())
			return
		}
		if cred.Disabled {
			WriteError(w, http.StatusForbidden, "app disabled")
			return
		}
		// After the signature: requests nobody signed cannot spend the
		// app's allowance.
		if ok, retry := h.limit.allow(appID, h.o.Now().UnixNano()); !ok {
			h.throttled(w, appID, retry)
			return
		}
		fn(w, r, &request{app: appID, maxData: cred.MaxEventData, body: body})
	}
}

// WriteJSON answers with status and v as JSON (Content-Type
// application/json), as the Pusher HTTP API answers.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers with status and the API's error body,
// {"error": msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}

// brokerError maps a broker failure of op (what the request asked for,
// named in the message): never a silent drop. A 503 carries Retry-After
// (RFC 9110, section 10.2.3): the node is overloaded or its broker
// unavailable, and a retry in a second may pass, or when the broker's
// broker.UnavailableError says, in the whole seconds it gives.
func brokerError(w http.ResponseWriter, op string, err error) {
	w.Header().Set("Retry-After", retryAfter(err))
	if errors.Is(err, broker.ErrBusy) {
		WriteError(w, http.StatusServiceUnavailable, "server busy, retry later")
		return
	}
	if errors.Is(err, context.Canceled) {
		WriteError(w, http.StatusServiceUnavailable, "request canceled")
		return
	}
	WriteError(w, http.StatusServiceUnavailable, op+" failed: "+strings.TrimPrefix(err.Error(), "broker: "))
}

// retryAfter is err's Retry-After in whole seconds, rounded up, at
// least 1.
func retryAfter(err error) string {
	var ue *broker.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > time.Second {
		return strconv.FormatInt(int64((ue.RetryAfter+time.Second-1)/time.Second), 10)
	}
	return "1"
}

// refusalWriter reports 4xx answers to Options.Refused.
type refusalWriter struct {
	http.ResponseWriter
	app     string
	refused func(string)
}

func (w *refusalWriter) WriteHeader(status int) {
	if status >= 400 && status < 500 && w.refused != nil {
		w.refused(w.app)
	}
	w.ResponseWriter.WriteHeader(status)
}
