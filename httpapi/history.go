package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/pusher"
)

// maxHistoryLimit caps the limit parameter of the history endpoint.
const maxHistoryLimit = 1000

// historyEvent is one event of a history answer.
type historyEvent struct {
	Event    string          `json:"event"`
	Channel  string          `json:"channel"`
	Data     json.RawMessage `json:"data"`
	Position broker.Position `json:"position"`
}

// history serves GET /apps/{app}/channels/{channel}/history with limit
// (1..1000, default 100), since (epoch:offset) and direction (forward,
// the default, or backward). Data is given as it was published (a JSON
// string for HTTP API events).
func (h *Handler) history(w http.ResponseWriter, r *http.Request, req *request) {
	name := r.PathValue("channel")
	if !protocol.ValidChannelName(name) {
		WriteError(w, http.StatusBadRequest, "invalid channel name")
		return
	}
	q, msg := historyQuery(r)
	if msg != "" {
		WriteError(w, http.StatusBadRequest, msg)
		return
	}
	page, err := h.b.History(r.Context(), req.app, name, q)
	if errors.Is(err, pusher.ErrNoHistory) {
		WriteError(w, http.StatusNotFound, "channel keeps no history")
		return
	}
	if err != nil {
		brokerError(w, "history read", err)
		return
	}
	out := make([]historyEvent, len(page.Events))
	for i, e := range page.Events {
		out[i] = historyEvent{Event: e.Event, Channel: e.Channel, Data: json.RawMessage(e.Data), Position: e.Position}
		if e.Data == "" {
			out[i].Data = json.RawMessage("null")
		}
	}
	WriteJSON(w, 200, map[string]any{"events": out, "position": page.Position})
}

// historyQuery reads the query parameters; msg says what is wrong.
func historyQuery(r *http.Request) (q broker.HistoryQuery, msg string) {
	v := r.URL.Query()
	q.Limit = 100
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxHistoryLimit {
			return q, "limit must be an integer from 1 to 1000"
		}
		q.Limit = n
	}
	switch v.Get("direction") {
	case "", "forward":
	case "backward":
		q.Backward = true
	default:
		return q, "direction must be forward or backward"
	}
	if s := v.Get("since"); s != "" {
		pos, ok := broker.ParsePosition(s)
		if !ok {
			return q, "since must be epoch:offset"
		}
		q.Since = pos
	}
	return q, ""
}
