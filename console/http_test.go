package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/console"
	"github.com/fanout/fanout/httpapi"
	"github.com/fanout/fanout/internal/fantest"
)

const password = "test-password"

// node starts a real node whose console uses password.
func node(t *testing.T) (*fantest.Node, string) {
	cfg := fantest.Config()
	cfg.Console.Password = password
	n := fantest.Start(t, cfg, nil)
	return n, "http://" + n.MetricsAddr() + "/console/"
}

func do(t *testing.T, c *http.Client, method, url string, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// login returns a client holding a session cookie, and the CSRF token.
func login(t *testing.T, base string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	st, body, h := do(t, c, "POST", base+"api/login", `{"password":"`+password+`"}`)
	if st != 200 {
		t.Fatalf("login: %d %s", st, body)
	}
	ck := h.Get("Set-Cookie")
	for _, want := range []string{"fanout_console=", "HttpOnly", "SameSite=Strict", "Max-Age="} {
		if !strings.Contains(ck, want) {
			t.Fatalf("session cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, "Secure") {
		t.Fatalf("cookie %q is Secure over plain http", ck)
	}
	var out struct{ CSRF string }
	_ = json.Unmarshal([]byte(body), &out)
	if out.CSRF == "" {
		t.Fatal("no CSRF token in the login answer")
	}
	return c, out.CSRF
}

// TestRefusedWithoutCredential: no data and no action without the
// password, a wrong bearer or an unknown cookie.
func TestRefusedWithoutCredential(t *testing.T) {
	_, base := node(t)
	c := &http.Client{Timeout: 10 * time.Second}
	for _, p := range []string{"api/stats", "api/cluster", "api/config", "api/apps", "api/apps/app-id/channels", "api/stream", "api/session"} {
		for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Cookie", "fanout_console=forged"}} {
			if st, body, _ := do(t, c, "GET", base+p, "", h...); st != 401 {
				t.Errorf("GET %s with %v: %d %s, want 401", p, h, st, body)
			}
		}
	}
	if st, _, _ := do(t, c, "POST", base+"api/apps/app-id/events", `{"channel":"c","name":"e","data":"d"}`); st != 401 {
		t.Errorf("publish without credential: %d, want 401", st)
	}
	if st, _, _ := do(t, c, "POST", base+"api/login", `{"password":"nope"}`); st != 401 {
		t.Errorf("wrong password: %d, want 401", st)
	}
	if st, body, _ := do(t, c, "GET", base+"api/stats", "", "Authorization", "Bearer "+password); st != 200 {
		t.Errorf("bearer: %d %s", st, body)
	}
	// The page itself is public (it holds no data), from the binary,
	// never framed, loading nothing from elsewhere.
	st, body, h := do(t, c, "GET", base, "")
	if st != 200 || !strings.Contains(body, "fanout") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
		h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page: %d, headers %v", st, h)
	}
	for _, asset := range []string{"app.js", "style.css"} {
		if st, _, _ := do(t, c, "GET", base+asset, ""); st != 200 {
			t.Errorf("%s: %d", asset, st)
		}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if st, _, h := do(t, noFollow, "GET", strings.TrimSuffix(base, "/"), ""); st != 301 || h.Get("Location") != "console/" {
		t.Errorf("/console: %d to %q, want a relative redirect to console/", st, h.Get("Location"))
	}
}

// TestCrossSitePostRefused (CWE-352): with a live session cookie, a
// state-changing request is refused unless it comes from the console's
// own origin with the session's token; nothing is published.
func TestCrossSitePostRefused(t *testing.T) {
	n, base := node(t)
	sub := fantest.Dial(t, n.URL("app-key"), nil)
	sub.Subscribe("target")
	c, csrf := login(t, base)
	origin := "http://" + n.MetricsAddr()
	publish := base + "api/apps/app-id/events"
	body := func(name string) string { return `{"channel":"target","name":"` + name + `","data":"x"}` }
	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"no token", []string{"Origin", origin}},
		{"wrong token", []string{"Origin", origin, "X-Console-CSRF", "guess"}},
		{"other origin", []string{"Origin", "http://evil.example", "X-Console-CSRF", csrf}},
		{"other port", []string{"Origin", "http://127.0.0.1:1", "X-Console-CSRF", csrf}},
		{"opaque origin", []string{"Origin", "null", "X-Console-CSRF", csrf}},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site", "X-Console-CSRF", csrf}},
		{"same-site fetch", []string{"Sec-Fetch-Site", "same-site", "X-Console-CSRF", csrf}},
	} {
		if st, resp, _ := do(t, c, "POST", publish, body("evil-"+strings.ReplaceAll(tc.name, " ", "-")), tc.header...); st != 403 {
			t.Errorf("%s: %d %s, want 403", tc.name, st, resp)
		}
	}
	if st, resp, _ := do(t, c, "POST", publish, body("good"), "Origin", origin, "Sec-Fetch-Site", "same-origin", "X-Console-CSRF", csrf); st != 200 {
		t.Fatalf("same-origin publish with the token: %d %s", st, resp)
	}
	if ev := sub.Next(); ev.Event != "good" {
		t.Fatalf("first event delivered is %q, want good (a refused request published)", ev.Event)
	}
	// A forced logout is refused too; a real one ends the session.
	if st, _, _ := do(t, c, "POST", base+"api/logout", ""); st != 403 {
		t.Errorf("logout without the token: %d, want 403", st)
	}
	if st, _, _ := do(t, c, "POST", base+"api/logout", "", "X-Console-CSRF", csrf); st != 200 {
		t.Errorf("logout: %d", st)
	}
	if st, _, _ := do(t, c, "GET", base+"api/stats", ""); st != 401 {
		t.Errorf("after logout: %d, want 401", st)
	}
	// Bearer calls need no token (no browser adds that header by itself),
	// but a browser's cross-origin request is refused even so.
	if st, resp, _ := do(t, c, "POST", publish, body("evil-bearer"), "Authorization", "Bearer "+password, "Origin", "http://evil.example"); st != 403 {
		t.Fatalf("cross-origin bearer publish: %d %s, want 403", st, resp)
	}
	if st, resp, _ := do(t, c, "POST", publish, body("scripted"), "Authorization", "Bearer "+password); st != 200 {
		t.Fatalf("bearer publish: %d %s", st, resp)
	}
	if ev := sub.Next(); ev.Event != "scripted" {
		t.Fatalf("next event delivered is %q, want scripted", ev.Event)
	}
}

// TestActionsThroughHTTPAPI: the console's publish is checked as the
// HTTP API checks it (a bad channel name is its 400), terminate reaches
// the user, and a cross-origin login is refused.
func TestActionsThroughHTTPAPI(t *testing.T) {
	n, base := node(t)
	c := &http.Client{Timeout: 10 * time.Second}
	auth := []string{"Authorization", "Bearer " + password}
	st, body, _ := do(t, c, "POST", base+"api/apps/app-id/events", `{"channel":"bad name!","name":"e","data":"x"}`, auth...)
	if st != 400 || !strings.Contains(body, "invalid channel name") {
		t.Fatalf("bad channel: %d %s, want the HTTP API's 400", st, body)
	}
	if st, _, _ := do(t, c, "POST", base+"api/apps/nope/events", `{}`, auth...); st != 404 {
		t.Fatalf("unknown app: %d", st)
	}
	if st, _, _ := do(t, c, "POST", base+"api/login", `{"password":"`+password+`"}`, "Origin", "http://evil.example"); st != 403 {
		t.Fatalf("cross-origin login: %d, want 403", st)
	}
	st, body, _ = do(t, c, "GET", base+"api/config", "", auth...)
	if st != 200 || strings.Contains(body, password) || strings.Contains(body, n.Cfg.Apps[0].Secret) {
		t.Fatalf("config: %d, secrets not masked:\n%s", st, body)
	}
}

// TestSessionExpires: a session ends after SessionTTL.
func TestSessionExpires(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	now := time.Now()
	clock := func() time.Time { return now }
	cn, err := console.New(console.Options{Password: password, Backend: n.Pusher, API: httpapi.New(n.Pusher, httpapi.Options{}),
		Apps: []console.App{{ID: "app-id", Key: "app-key", Secret: "app-secret"}}, SessionTTL: time.Hour, Now: clock,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := cn.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, mustReq(t, "POST", "/console/api/login", `{"password":"`+password+`"}`))
	ck := rec.Header().Get("Set-Cookie")
	get := func() int {
		r := httptest.NewRecorder()
		req := mustReq(t, "GET", "/console/api/session", "")
		req.Header.Set("Cookie", strings.Split(ck, ";")[0])
		h.ServeHTTP(r, req)
		return r.Code
	}
	if st := get(); st != 200 {
		t.Fatalf("fresh session: %d", st)
	}
	now = now.Add(time.Hour + time.Second)
	if st := get(); st != 401 {
		t.Fatalf("expired session: %d, want 401", st)
	}
}

// TestLoginLimited: password guessing is slowed down (429 with
// Retry-After), for the right password too until the bucket refills.
func TestLoginLimited(t *testing.T) {
	_, base := node(t)
	c := &http.Client{Timeout: 10 * time.Second}
	limited := false
	for range 20 {
		st, _, h := do(t, c, "POST", base+"api/login", `{"password":"guess"}`)
		if st == 429 && h.Get("Retry-After") != "" {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("20 wrong passwords in a row were never limited")
	}
	if st, _, _ := do(t, c, "POST", base+"api/login", `{"password":"`+password+`"}`); st != 429 {
		t.Fatalf("login while limited: %d, want 429", st)
	}
}

// TestPasswordFile: console.password_file is read at start, its newline
// dropped; an unreadable one stops start-up naming the key.
func TestPasswordFile(t *testing.T) {
	f := t.TempDir() + "/pw"
	if err := os.WriteFile(f, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fantest.Config()
	cfg.Console = config.Console{PasswordFile: f}
	n := fantest.Start(t, cfg, nil)
	c := &http.Client{Timeout: 10 * time.Second}
	if st, body, _ := do(t, c, "GET", "http://"+n.MetricsAddr()+"/console/api/stats", "", "Authorization", "Bearer "+password); st != 200 {
		t.Fatalf("password from file: %d %s", st, body)
	}
}

func mustReq(t *testing.T, method, url, body string) *http.Request {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestStreamTailsChannelAndLog: the event stream carries the watched
// channel's events, the connection log and the webhooks sent.
func TestStreamTailsChannelAndLog(t *testing.T) {
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hooks.Close()
	cfg := fantest.Config()
	cfg.Console.Password = password
	cfg.Apps[0].Webhooks.URL = hooks.URL
	n := fantest.Start(t, cfg, nil)
	req, _ := http.NewRequest("GET", "http://"+n.MetricsAddr()+"/console/api/stream?app=app-id&channel=orders&log=1", nil)
	req.Header.Set("Authorization", "Bearer "+password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		buf := make([]byte, 64<<10)
		var rest string
		for {
			k, err := resp.Body.Read(buf)
			rest += string(buf[:k])
			for {
				i := strings.Index(rest, "\n")
				if i < 0 {
					break
				}
				lines <- rest[:i]
				rest = rest[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	want := func(sub string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", sub)
				}
				if strings.HasPrefix(l, "data: ") && strings.Contains(l, sub) {
					return
				}
			case <-deadline:
				t.Fatalf("stream never carried %q", sub)
			}
		}
	}
	want(`"watching":true`)
	c := fantest.Dial(t, n.URL("app-key"), nil)
	want(`"kind":"connected"`)
	c.Subscribe("orders")
	want(`"kind":"subscribed"`)
	want(`"kind":"webhook","time":`) // channel_occupied
	if st, body := n.Publish(t, cfg.Apps[0], "orders", "placed", `{"id":7}`); st != 200 {
		t.Fatalf("publish: %d %s", st, body)
	}
	want(`"event":"placed"`)
	_ = c.Conn.Close()
	want(`"kind":"closed"`)
	resp.Body.Close()
	for range lines {
	}
}
