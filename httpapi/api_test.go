package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

type call struct {
	method, path string
	query        url.Values
	body         string
	key, secret  string
	at           time.Time
}

// do signs c as the Pusher SDKs do and returns the status and the body.
func do(t *testing.T, n *fantest.Node, c call) (int, string) {
	t.Helper()
	if c.key == "" {
		c.key, c.secret = "app-key", "app-secret"
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	var body []byte
	if c.body != "" {
		body = []byte(c.body)
	}
	q := auth.SignRequest(c.method, c.path, c.query, body, c.key, c.secret, c.at)
	req, _ := http.NewRequest(c.method, n.HTTPBase()+c.path+"?"+q.Encode(), strings.NewReader(c.body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func event(channel, data string) string {
	b, _ := json.Marshal(map[string]any{"name": "ev", "channel": channel, "data": data})
	return string(b)
}

func TestErrorStatuses(t *testing.T) {
	cfg := fantest.Config()
	off := config.DefaultApp()
	off.ID, off.Key, off.Secret, off.Enabled = "off-id", "off-key", "off-secret", false
	cfg.Apps = append(cfg.Apps, off)
	n := fantest.Start(t, cfg, nil)
	ok := event("news", "x")
	cases := []struct {
		name   string
		c      call
		status int
	}{
		{"good", call{method: "POST", path: "/apps/app-id/events", body: ok}, 200},
		{"unknown app", call{method: "POST", path: "/apps/nope/events", body: ok}, 404},
		{"wrong secret", call{method: "POST", path: "/apps/app-id/events", body: ok, key: "app-key", secret: "nope"}, 401},
		{"wrong key", call{method: "POST", path: "/apps/app-id/events", body: ok, key: "other", secret: "app-secret"}, 401},
		{"timestamp 11 min old", call{method: "POST", path: "/apps/app-id/events", body: ok, at: time.Now().Add(-11 * time.Minute)}, 401},
		{"timestamp 11 min ahead", call{method: "POST", path: "/apps/app-id/events", body: ok, at: time.Now().Add(11 * time.Minute)}, 401},
		{"malformed JSON", call{method: "POST", path: "/apps/app-id/events", body: `{"name":`}, 400},
		{"data not a string", call{method: "POST", path: "/apps/app-id/events", body: `{"name":"e","channel":"a","data":{"x":1}}`}, 400},
		{"no channel", call{method: "POST", path: "/apps/app-id/events", body: `{"name":"e","data":"x"}`}, 400},
		{"bad channel name", call{method: "POST", path: "/apps/app-id/events", body: event("bad name!", "x")}, 400},
		{"bad socket_id", call{method: "POST", path: "/apps/app-id/events", body: `{"name":"e","channel":"a","data":"x","socket_id":"abc"}`}, 400},
		{"data over 10 KiB", call{method: "POST", path: "/apps/app-id/events", body: event("news", strings.Repeat("x", 10241))}, 413},
		{"body over the limit", call{method: "POST", path: "/apps/app-id/events", body: event("news", strings.Repeat("x", 300<<10))}, 413},
		{"batch of 11", call{method: "POST", path: "/apps/app-id/batch_events", body: `{"batch":[` + strings.TrimSuffix(strings.Repeat(`{"name":"e","channel":"a","data":"x"},`, 11), ",") + `]}`}, 400},
		{"disabled app", call{method: "POST", path: "/apps/off-id/events", body: ok, key: "off-key", secret: "off-secret"}, 403},
		{"user_count without presence prefix", call{method: "GET", path: "/apps/app-id/channels", query: url.Values{"info": {"user_count"}}}, 400},
		{"users of a public channel", call{method: "GET", path: "/apps/app-id/channels/news/users"}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, n, tc.c)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%s)", status, tc.status, body)
			}
			if status >= 400 {
				var e struct{ Error string }
				if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
					t.Fatalf("error body %q is not {\"error\": ...}", body)
				}
			}
		})
	}
}

func TestQueriesAndTerminate(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	a := fantest.Dial(t, n.URL("app-key"), nil)
	a.Subscribe("news")
	userData := `{"id":"u-42"}`
	a.Send("pusher:signin", map[string]string{"user_data": userData, "auth": auth.SignUser("app-key", "app-secret", a.SocketID, userData)})
	a.Expect("pusher:signin_success")
	a.Subscribe("#server-to-user-u-42") // as pusher-js does after signin
	cd := `{"user_id":"u-42","user_info":{"name":"A"}}`
	a.Send("pusher:subscribe", map[string]string{"channel": "presence-room", "channel_data": cd,
		"auth": auth.SignChannel("app-key", "app-secret", a.SocketID, "presence-room", cd)})
	a.Expect("pusher_internal:subscription_succeeded")

	check := func(path string, q url.Values, want string) {
		t.Helper()
		status, body := do(t, n, call{method: "GET", path: path, query: q})
		if status != 200 || !strings.Contains(body, want) {
			t.Fatalf("GET %s: %d %s, want it to contain %s", path, status, body, want)
		}
	}
	check("/apps/app-id/channels", nil, `"news":{}`)
	if _, body := do(t, n, call{method: "GET", path: "/apps/app-id/channels"}); strings.Contains(body, "#server-to-user") {
		t.Errorf("GET /channels lists a user's own channel: %s", body)
	}
	check("/apps/app-id/channels", url.Values{"filter_by_prefix": {"presence-"}, "info": {"user_count"}}, `"presence-room":{"user_count":1}`)
	check("/apps/app-id/channels/news", url.Values{"info": {"subscription_count"}}, `"subscription_count":1`)
	check("/apps/app-id/channels/empty", nil, `"occupied":false`)
	check("/apps/app-id/channels/presence-room/users", nil, `{"users":[{"id":"u-42"}]}`)

	status, body := do(t, n, call{method: "POST", path: "/apps/app-id/batch_events",
		body: `{"batch":[{"name":"b1","channel":"news","data":"1","info":"subscription_count"},{"name":"b2","channel":"news","data":"2"}]}`})
	if status != 200 || !strings.Contains(body, `"subscription_count":1`) {
		t.Fatalf("batch: %d %s", status, body)
	}
	a.Expect("b1")
	a.Expect("b2")

	if status, body := do(t, n, call{method: "POST", path: "/apps/app-id/users/u-42/terminate_connections", body: "{}"}); status != 200 {
		t.Fatalf("terminate: %d %s", status, body)
	}
	if code, err := a.CloseCode(5 * time.Second); err != nil || code != 4009 {
		t.Fatalf("terminated connection closed with %d (%v), want 4009", code, err)
	}
}

func TestProbes(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(n.HTTPBase() + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
}

// TestPublishUnavailableCarriesRetryAfter: a publish the broker cannot
// take is 503 with Retry-After and a JSON error body (RFC 9110, 15.6.4).
func TestPublishUnavailableCarriesRetryAfter(t *testing.T) {
	b := broker.NewMemory()
	n := fantest.Start(t, fantest.Config(), b)
	_ = b.Close()
	body := event("news", "x")
	q := auth.SignRequest("POST", "/apps/app-id/events", nil, []byte(body), "app-key", "app-secret", time.Now())
	resp, err := http.Post(n.HTTPBase()+"/apps/app-id/events?"+q.Encode(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		json.NewDecoder(resp.Body).Decode(&e) != nil || e.Error == "" {
		t.Fatalf("got %d, Retry-After %q, error %q; want 503 with Retry-After and an error", resp.StatusCode,
			resp.Header.Get("Retry-After"), e.Error)
	}
}

// A request without a signature, and one signed with another app's key,
// are told which: the SDK user sees what to fix.
func TestUnsignedAndWrongKeyAreTold(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	resp, err := http.Post(n.HTTPBase()+"/apps/app-id/events", "application/json", strings.NewReader(event("news", "x")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || strings.TrimSpace(string(b)) != `{"error":"auth: request refused: missing auth_key"}` {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, b)
	}
	status, body := do(t, n, call{method: "POST", path: "/apps/app-id/events", body: event("news", "x"), key: "other", secret: "app-secret"})
	if status != 401 || strings.TrimSpace(body) != `{"error":"auth: request refused: unknown auth_key"}` {
		t.Fatalf("wrong key: %d %s", status, body)
	}
}
