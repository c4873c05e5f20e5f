package console

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/httpapi"
	"github.com/fanout/fanout/pusher"
)

// queryTimeout bounds a directory or history read.
const queryTimeout = 5 * time.Second

// maxListed bounds the channels one answer lists.
const maxListed = 500

func (c *Console) stats(w http.ResponseWriter, r *http.Request, _ caller) {
	last, _ := c.sampler.kept.last()
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"node": c.o.Node, "now": last, "series": c.sampler.kept.all(),
		"interval_ms": c.o.SampleEvery.Milliseconds()})
}

func (c *Console) clusterStats(w http.ResponseWriter, r *http.Request, _ caller) {
	nodes, errText := c.cluster.snapshot()
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"redis": c.o.Cluster != nil, "nodes": nodes, "error": errText,
		"series": c.cluster.kept.all()})
}

func (c *Console) config(w http.ResponseWriter, r *http.Request, _ caller) {
	w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
	_, _ = w.Write(c.apps.Load().config)
}

// appInfo is an app as the console lists it (never its secret).
type appInfo struct {
	ID      string   `json:"id"`
	Key     string   `json:"key"`
	History []string `json:"history"`
}

func (c *Console) listApps(w http.ResponseWriter, r *http.Request, _ caller) {
	list := c.apps.Load().list
	out := make([]appInfo, 0, len(list))
	for _, a := range list {
		out = append(out, appInfo{ID: a.ID, Key: a.Key, History: append([]string{}, a.History...)})
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"apps": out})
}

// app finds the path's app, or answers 404.
func (c *Console) app(w http.ResponseWriter, r *http.Request) (App, bool) {
	a, ok := c.apps.Load().byID[r.PathValue("app")]
	if !ok {
		httpapi.WriteError(w, http.StatusNotFound, "unknown app")
	}
	return a, ok
}

// read is a query of the path's app (404 when unknown) bounded by
// queryTimeout.
func (c *Console) read(fn func(ctx context.Context, w http.ResponseWriter, r *http.Request, a App)) func(http.ResponseWriter, *http.Request, caller) {
	return func(w http.ResponseWriter, r *http.Request, _ caller) {
		a, ok := c.app(w, r)
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
		defer cancel()
		fn(ctx, w, r, a)
	}
}

// channelRow is one occupied channel.
type channelRow struct {
	Name          string `json:"name"`
	Subscriptions int    `json:"subscription_count"`
	Users         int    `json:"user_count,omitempty"`
}

// channels lists an app's occupied channels on every node (as GET
// /apps/{id}/channels reads them), those whose name contains filter,
// by subscribers, at most maxListed.
func (c *Console) channels(ctx context.Context, w http.ResponseWriter, r *http.Request, a App) {
	all, err := c.o.Backend.Channels(ctx, a.ID, "")
	if err != nil {
		unavailable(w, "channel query", err)
		return
	}
	filter := r.URL.Query().Get("filter")
	rows := make([]channelRow, 0, len(all))
	for name, ci := range all {
		if strings.Contains(name, filter) {
			rows = append(rows, channelRow{Name: name, Subscriptions: ci.Subscriptions, Users: ci.Users})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Subscriptions != rows[j].Subscriptions {
			return rows[i].Subscriptions > rows[j].Subscriptions
		}
		return rows[i].Name < rows[j].Name
	})
	total := len(rows)
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"channels": rows[:min(total, maxListed)], "total": total})
}

// users lists a presence channel's members on every node.
func (c *Console) users(ctx context.Context, w http.ResponseWriter, r *http.Request, a App) {
	ids, err := c.o.Backend.Users(ctx, a.ID, r.PathValue("channel"))
	if err != nil {
		unavailable(w, "presence query", err)
		return
	}
	sort.Strings(ids)
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"users": ids})
}

// history reads a channel's last events, newest first (limit 1..1000,
// default 50); 404 for a channel that keeps none.
func (c *Console) history(ctx context.Context, w http.ResponseWriter, r *http.Request, a App) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			httpapi.WriteError(w, http.StatusBadRequest, "limit must be an integer from 1 to 1000")
			return
		}
		limit = n
	}
	page, err := c.o.Backend.History(ctx, a.ID, r.PathValue("channel"), broker.HistoryQuery{Limit: limit, Backward: true})
	if errors.Is(err, pusher.ErrNoHistory) {
		httpapi.WriteError(w, http.StatusNotFound, "channel keeps no history")
		return
	}
	if err != nil {
		unavailable(w, "history read", err)
		return
	}
	type event struct {
		Event    string          `json:"event"`
		Channel  string          `json:"channel"`
		Data     string          `json:"data"`
		Position broker.Position `json:"position"`
	}
	out := make([]event, len(page.Events))
	for i, e := range page.Events {
		out[i] = event{Event: e.Event, Channel: e.Channel, Data: e.Data, Position: e.Position}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"events": out, "position": page.Position})
}

func unavailable(w http.ResponseWriter, op string, err error) {
	w.Header().Set("Retry-After", "1")
	httpapi.WriteError(w, http.StatusServiceUnavailable, op+" failed: "+err.Error())
}
