package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/fanout/fanout/httpapi"
)

// streamHeartbeat is the longest silence of a stream (an SSE comment
// keeps proxies from timing it out).
const streamHeartbeat = 15 * time.Second

// stream is the console's live feed, a text/event-stream (WHATWG HTML,
// "Server-sent events"): after each sample a "sample" event (this node's
// sample and the cluster's nodes and totals); with app and channel, a
// "tail" event per event delivered on that channel; with log=1, a "tail"
// event per step of a connection's life and per webhook (of app, when
// given); after a sample, when they changed, a "tail_stats" event with
// the items sampled out and dropped so far. A tailing stream beyond
// maxWatchers gets 503.
func (c *Console) stream(w http.ResponseWriter, r *http.Request, _ caller) {
	q := r.URL.Query()
	app, channel, log := q.Get("app"), q.Get("channel"), q.Get("log") == "1"
	if channel != "" && c.apps.Load().byID[app].ID == "" {
		httpapi.WriteError(w, http.StatusNotFound, "unknown app")
		return
	}
	var items chan Item
	var wt *watcher
	if channel != "" || log {
		if wt = c.feed.watch(app, channel, log); wt == nil {
			w.Header().Set("Retry-After", "10")
			httpapi.WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("%d streams tail already; close one", maxWatchers))
			return
		}
		defer c.feed.unwatch(wt)
		items = wt.items
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("hello", map[string]any{"node": c.o.Node, "watching": wt != nil}) {
		return
	}
	quiet := time.NewTimer(streamHeartbeat)
	defer quiet.Stop()
	tick := c.ticked()
	var lastSampled, lastDropped int64
	for {
		ok := true
		select {
		case <-r.Context().Done():
			return
		case <-c.stop:
			return
		case it := <-items:
			ok = send("tail", it)
		case <-tick:
			tick = c.ticked()
			ok = c.sendSample(send)
			if ok && wt != nil {
				s, d := wt.sampled.Load(), wt.dropped.Load()
				if s != lastSampled || d != lastDropped {
					ok = send("tail_stats", map[string]int64{"sampled_out": s, "dropped": d})
					lastSampled, lastDropped = s, d
				}
			}
		case <-quiet.C:
			_, err := fmt.Fprint(w, ": keep-alive\n\n")
			ok = err == nil && rc.Flush() == nil
		}
		if !ok {
			return
		}
		quiet.Reset(streamHeartbeat)
	}
}

func (c *Console) sendSample(send func(string, any) bool) bool {
	s, _ := c.sampler.kept.last()
	nodes, errText := c.cluster.snapshot()
	p, _ := c.cluster.kept.last()
	return send("sample", map[string]any{"node": s, "cluster": map[string]any{"nodes": nodes, "error": errText, "now": p}})
}
