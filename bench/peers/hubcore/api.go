package hubcore

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fanout/fanout/bench/internal/pushersig"
)

type publishReq struct {
	Name     string   `json:"name"`
	Channel  string   `json:"channel"`
	Channels []string `json:"channels"`
	Data     string   `json:"data"`
}

// ServeHTTP serves POST /apps/{id}/events; the transport routes other
// paths (the WebSocket upgrade) itself.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/apps/"+h.opts.AppID+"/events" {
		httpError(w, http.StatusNotFound, "not found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		httpError(w, http.StatusBadRequest, "read body")
		return
	}
	err = pushersig.Verify(h.opts.AppKey, h.opts.AppSecret, r.Method, r.URL.Path,
		r.URL.Query(), body, time.Now().Unix(), 600)
	if err != nil {
		httpError(w, http.StatusUnauthorized, err.Error())
		return
	}
	var p publishReq
	if err := json.Unmarshal(body, &p); err != nil || p.Name == "" {
		httpError(w, http.StatusBadRequest, "malformed JSON")
		return
	}
	if p.Channel != "" {
		p.Channels = append(p.Channels, p.Channel)
	}
	for _, ch := range p.Channels {
		if err := h.Publish(ch, event(p.Name, ch, p.Data)); err != nil {
			httpError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, "{}")
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(map[string]string{"error": strings.TrimPrefix(msg, "pushersig: ")})
	w.Write(b)
}
