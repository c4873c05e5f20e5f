package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
)

// Limits of the Pusher HTTP API.
const (
	maxChannelsPerEvent = 100
	maxBatch            = 10
	maxEventName        = 200
)

// eventBody is one event as the Pusher SDKs send it.
type eventBody struct {
	Name     string   `json:"name"`
	Data     *string  `json:"data"`
	Channels []string `json:"channels"`
	Channel  string   `json:"channel"`
	SocketID string   `json:"socket_id"`
	Info     string   `json:"info"`
	// IdempotencyKey makes a retried publish deliver once (see
	// idempotency.go).
	IdempotencyKey string `json:"idempotency_key"`
}

// statusError is a rejected event: its HTTP status and message.
type statusError struct {
	status int
	msg    string
}

func (e statusError) Error() string { return e.msg }

// publications validates one event and expands it per channel.
func (e *eventBody) publications(app string, maxData int) ([]broker.Publication, error) {
	chans := e.Channels
	if e.Channel != "" {
		chans = append(chans, e.Channel)
	}
	switch {
	case e.Name == "" || len(e.Name) > maxEventName:
		return nil, statusError{400, "event name is required and at most 200 characters"}
	case e.Data == nil:
		return nil, statusError{400, "data is required and must be a string"}
	case len(chans) == 0 || len(chans) > maxChannelsPerEvent:
		return nil, statusError{400, "between 1 and 100 channels are required"}
	case len(*e.Data) > maxData:
		return nil, statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("event data over %d bytes", maxData)}
	case e.SocketID != "" && !auth.ValidSocketID(e.SocketID):
		return nil, statusError{400, "invalid socket_id"}
	case e.IdempotencyKey != "" && !validIdempotencyKey(e.IdempotencyKey):
		return nil, statusError{400, "idempotency_key must be 1 to 256 printable ASCII characters"}
	}
	data, _ := json.Marshal(*e.Data)
	out := make([]broker.Publication, 0, len(chans))
	for _, ch := range chans {
		if !protocol.ValidChannelName(ch) && !protocol.ValidUserChannel(ch) { // sendToUser publishes to #server-to-user-<id>
			return nil, statusError{400, "invalid channel name " + fmt.Sprintf("%q", ch)}
		}
		out = append(out, broker.Publication{App: app, Channel: ch, Event: e.Name, Data: string(data), SocketID: e.SocketID})
	}
	return out, nil
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request, req *request) {
	var e eventBody
	if err := json.Unmarshal(req.body, &e); err != nil {
		WriteError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return
	}
	ps, err := e.publications(req.app, req.maxData)
	if err != nil {
		se := err.(statusError)
		WriteError(w, se.status, se.msg)
		return
	}
	key := idempotencyKey(r, e.IdempotencyKey, -1)
	if key != "" && !validIdempotencyKey(key) {
		WriteError(w, http.StatusBadRequest, "X-Idempotency-Key must be 1 to 256 printable ASCII characters")
		return
	}
	claims, dup, err := h.claimKeys(r.Context(), req.app, []string{key})
	if err != nil {
		claimError(w, err)
		return
	}
	if dup[0] {
		h.duplicate(req.app)
	} else {
		ctx, cancel := publishContext(r)
		if len(claims) > 0 { // a 503 releases the key: it must have delivered nothing
			ctx = broker.WithExactRefusals(ctx)
		}
		err := h.b.Publish(ctx, ps...)
		cancel()
		h.settle(claims, err == nil)
		if err != nil {
			brokerError(w, "publish", err)
			return
		}
	}
	WriteJSON(w, 200, h.eventInfo(r, req.app, e.Info, ps))
}

// eventInfo answers the optional info=subscription_count,user_count.
func (h *Handler) eventInfo(r *http.Request, app, info string, ps []broker.Publication) any {
	if info == "" {
		return struct{}{}
	}
	fields := infoFields(info)
	chans := map[string]map[string]int{}
	for _, p := range ps {
		ci, err := h.b.ChannelInfo(r.Context(), app, p.Channel)
		if err != nil {
			continue
		}
		chans[p.Channel] = infoMap(ci, fields, p.Channel)
	}
	return map[string]any{"channels": chans}
}

type batchBody struct {
	Batch []eventBody `json:"batch"`
}

func (h *Handler) batchEvents(w http.ResponseWriter, r *http.Request, req *request) {
	var b batchBody
	if err := json.Unmarshal(req.body, &b); err != nil {
		WriteError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return
	}
	if len(b.Batch) == 0 || len(b.Batch) > maxBatch {
		WriteError(w, http.StatusBadRequest, "a batch holds between 1 and 10 events")
		return
	}
	all := make([]broker.Publication, 0, len(b.Batch)) // all[i] is b.Batch[i]: one channel each
	keys := make([]string, len(b.Batch))
	for i := range b.Batch {
		if len(b.Batch[i].Channels) > 0 {
			WriteError(w, http.StatusBadRequest, "batch events take a single channel")
			return
		}
		ps, err := b.Batch[i].publications(req.app, req.maxData)
		if err != nil {
			se := err.(statusError)
			WriteError(w, se.status, fmt.Sprintf("batch[%d]: %s", i, se.msg))
			return
		}
		all = append(all, ps...)
		if keys[i] = idempotencyKey(r, b.Batch[i].IdempotencyKey, i); keys[i] != "" && !validIdempotencyKey(keys[i]) {
			WriteError(w, http.StatusBadRequest, "X-Idempotency-Key must be 1 to 250 printable ASCII characters")
			return
		}
	}
	claims, dup, err := h.claimKeys(r.Context(), req.app, keys)
	if err != nil {
		claimError(w, err)
		return
	}
	if len(claims) > 0 {
		if err := h.publishKeyed(r, req.app, all, keys, dup, claims); err != nil {
			brokerError(w, "publish", err)
			return
		}
		h.batchAnswer(w, r, req, b, all)
		return
	}
	fresh := all
	if len(claims) < len(keys) { // some keyless or duplicate: publish the rest
		fresh = make([]broker.Publication, 0, len(all))
		for i, p := range all {
			if dup[i] {
				h.duplicate(req.app)
				continue
			}
			fresh = append(fresh, p)
		}
	}
	if len(fresh) > 0 {
		ctx, cancel := publishContext(r)
		err := h.b.Publish(ctx, fresh...)
		cancel()
		h.settle(claims, err == nil)
		if err != nil {
			brokerError(w, "publish", err)
			return
		}
	}
	h.batchAnswer(w, r, req, b, all)
}

// publishKeyed publishes a batch that holds idempotency keys one event at
// a time, in order, each key settled by its own event's outcome: a batch
// refused for one event must not release the key of another it already
// delivered, or the caller's retry would deliver that one again. It
// stops at the first refusal (its error), leaving the events after it
// unpublished and their keys released; dup marks the events whose key
// was already accepted (not published again; counted for app), claims
// holds the keys claimed, in the order of keys.
func (h *Handler) publishKeyed(r *http.Request, app string, all []broker.Publication, keys []string, dup []bool, claims []claim) error {
	ctx, cancel := publishContext(r)
	defer cancel()
	ctx = broker.WithExactRefusals(ctx)
	var err error
	for i := range all {
		if dup[i] {
			h.duplicate(app)
			continue
		}
		var mine []claim
		if keys[i] != "" && h.o.IdempotencyWindow >= 0 {
			mine, claims = claims[:1], claims[1:]
		}
		if err == nil {
			err = h.b.Publish(ctx, all[i])
		}
		h.settle(mine, err == nil)
	}
	return err
}

// batchAnswer answers an accepted batch, with the channel info each event
// asked for.
func (h *Handler) batchAnswer(w http.ResponseWriter, r *http.Request, req *request, b batchBody, all []broker.Publication) {
	results := make([]any, len(all))
	for i, p := range all {
		results[i] = struct{}{}
		if b.Batch[i].Info != "" {
			if ci, err := h.b.ChannelInfo(r.Context(), req.app, p.Channel); err == nil {
				results[i] = infoMap(ci, infoFields(b.Batch[i].Info), p.Channel)
			}
		}
	}
	WriteJSON(w, 200, map[string]any{"batch": results})
}
