package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/httpapi"
)

// maxActionBody bounds an action's request body (the HTTP API's own
// limits apply after it).
const maxActionBody = 64 << 10

// publish sends one event, {"name", "channel", "data"} (data a string,
// as the Pusher HTTP API takes it), through the HTTP API: the request is
// signed here with the app's secret, so it is checked, limited, counted
// and published exactly as one from a backend. The API's status and body
// are the answer.
func (c *Console) publish(w http.ResponseWriter, r *http.Request, who caller) {
	a, ok := c.app(w, r)
	if !ok {
		return
	}
	var in struct {
		Name    string `json:"name"`
		Channel string `json:"channel"`
		Data    string `json:"data"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActionBody))
	if err != nil {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	if err := json.Unmarshal(body, &in); err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return
	}
	apiBody, _ := json.Marshal(map[string]any{"name": in.Name, "channel": in.Channel, "data": in.Data})
	status := c.callAPI(w, r, a, "/apps/"+a.ID+"/events", "", apiBody)
	c.o.Logger.Info("console: publish", "who", who.String(), "app", a.ID, "channel", in.Channel, "event", in.Name,
		"bytes", len(in.Data), "status", status)
}

// terminate closes a user's connections on every node, through the HTTP
// API's terminate_connections.
func (c *Console) terminate(w http.ResponseWriter, r *http.Request, who caller) {
	a, ok := c.app(w, r)
	if !ok {
		return
	}
	user := r.PathValue("user")
	p := "/apps/" + a.ID + "/users/%s/terminate_connections"
	status := c.callAPI(w, r, a, fmt.Sprintf(p, user), fmt.Sprintf(p, url.PathEscape(user)), nil)
	c.o.Logger.Info("console: terminate connections", "who", who.String(), "app", a.ID, "user", user, "status", status)
}

// callAPI sends a signed POST to the HTTP API handler in process and
// copies its answer to w; it returns the status. The signature covers
// path as the API reads it (decoded); escaped is how it goes on the
// request line ("" when path needs no escaping).
func (c *Console) callAPI(w http.ResponseWriter, r *http.Request, a App, path, escaped string, body []byte) int {
	q := auth.SignRequest(http.MethodPost, path, url.Values{}, body, a.Key, a.Secret, c.o.Now())
	if escaped == "" {
		escaped = path
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, escaped+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return http.StatusBadRequest
	}
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = r.RemoteAddr
	rec := &captured{header: http.Header{}}
	c.o.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
	return rec.status
}

// captured is the in-process answer of the HTTP API.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header { return c.header }
func (c *captured) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *captured) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}
