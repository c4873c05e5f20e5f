package httpapi

import (
	"net/http"
	"strings"

	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/pusher"
)

func infoFields(info string) map[string]bool {
	f := map[string]bool{}
	for _, s := range strings.Split(info, ",") {
		f[strings.TrimSpace(s)] = true
	}
	return f
}

// infoMap renders the requested info attributes of a channel.
func infoMap(ci pusher.ChannelInfo, fields map[string]bool, channel string) map[string]int {
	m := map[string]int{}
	if fields["subscription_count"] {
		m["subscription_count"] = ci.Subscriptions
	}
	if fields["user_count"] && protocol.KindOf(channel).Presence() {
		m["user_count"] = ci.Users
	}
	return m
}

func (h *Handler) channels(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	prefix := q.Get("filter_by_prefix")
	fields := infoFields(q.Get("info"))
	if fields["user_count"] && !protocol.KindOf(prefix).Presence() {
		WriteError(w, http.StatusBadRequest, "info=user_count needs filter_by_prefix=presence-")
		return
	}
	all, err := h.b.Channels(r.Context(), req.app, prefix)
	if err != nil {
		brokerError(w, "channel query", err)
		return
	}
	out := make(map[string]map[string]int, len(all))
	for name, ci := range all {
		out[name] = infoMap(ci, fields, name)
	}
	WriteJSON(w, 200, map[string]any{"channels": out})
}

func (h *Handler) channel(w http.ResponseWriter, r *http.Request, req *request) {
	name := r.PathValue("channel")
	if !protocol.ValidChannelName(name) {
		WriteError(w, http.StatusBadRequest, "invalid channel name")
		return
	}
	fields := infoFields(r.URL.Query().Get("info"))
	if fields["user_count"] && !protocol.KindOf(name).Presence() {
		WriteError(w, http.StatusBadRequest, "user_count is only available for presence channels")
		return
	}
	ci, err := h.b.ChannelInfo(r.Context(), req.app, name)
	if err != nil {
		brokerError(w, "channel query", err)
		return
	}
	out := map[string]any{"occupied": ci.Occupied}
	for k, v := range infoMap(ci, fields, name) {
		out[k] = v
	}
	WriteJSON(w, 200, out)
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, req *request) {
	name := r.PathValue("channel")
	if !protocol.KindOf(name).Presence() || !protocol.ValidChannelName(name) {
		WriteError(w, http.StatusBadRequest, "users are only available for presence channels")
		return
	}
	ids, err := h.b.Users(r.Context(), req.app, name)
	if err != nil {
		brokerError(w, "users query", err)
		return
	}
	users := make([]map[string]string, len(ids))
	for i, id := range ids {
		users[i] = map[string]string{"id": id}
	}
	WriteJSON(w, 200, map[string]any{"users": users})
}

func (h *Handler) terminate(w http.ResponseWriter, r *http.Request, req *request) {
	if err := h.b.Terminate(r.Context(), req.app, r.PathValue("user")); err != nil {
		brokerError(w, "terminate", err)
		return
	}
	WriteJSON(w, 200, struct{}{})
}
