package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// Issue 3 interop: a real browser (headless Debian Chromium driven by
// playwright-core) and Laravel Echo, against a node whose app requires
// authenticated connections and an allowed Origin.

// authScriptTimeout bounds one browser or Echo run.
const authScriptTimeout = 2 * time.Minute

// chromiumPath is Debian's chromium; CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// needAuthClients fails the test unless node, the npm packages and (when
// browser is set) Chromium are installed.
func needAuthClients(t *testing.T, browser bool) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: install Node.js (apt-get install nodejs npm), then run `make deps-node`")
	}
	pkgs := []string{"pusher-js", "laravel-echo"}
	if browser {
		pkgs = append(pkgs, "playwright-core")
		if _, err := os.Stat(chromiumPath()); err != nil {
			t.Fatalf("%s not found: apt-get install chromium (or set CHROMIUM to a Chromium binary)", chromiumPath())
		}
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			t.Fatalf("npm package %s missing in test/interop: run `make deps-node` (npm install in test/interop)", p)
		}
	}
}

// runNode runs a node script in this folder with extra environment and
// returns its output; it fails the test unless the script exits 0.
func runNode(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), authScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if testing.Verbose() {
		t.Logf("node %s:\n%s", strings.Join(args, " "), out.String())
	}
	return out.String()
}

// listenLoopback opens a listener on a free 127.0.0.1 port.
func listenLoopback(t *testing.T) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l, l.Addr().(*net.TCPAddr).Port
}

// serveOn serves h on l until the test ends.
func serveOn(t *testing.T, l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// authApp is an app that requires authenticated connections, allows
// client events and only the given origins.
func authApp(id string, origins ...string) config.App {
	a := config.DefaultApp()
	a.ID, a.Key, a.Secret = id, id+"-key", id+"-secret"
	a.ClientEvents = true
	a.AllowedOrigins = origins
	return a
}

// publishTo triggers one event through the node's signed HTTP API.
func publishTo(n *fantest.Node, a config.App, channel, event, data string) (int, error) {
	body, _ := json.Marshal(map[string]any{"name": event, "channel": channel, "data": data})
	return apiPost(n, a, "/apps/"+a.ID+"/events", body)
}

// apiPost POSTs body to path of n's HTTP API, signed as app a, and
// returns the status. It needs no *testing.T, so page handlers use it.
func apiPost(n *fantest.Node, a config.App, path string, body []byte) (int, error) {
	return apiPostTo(n.HTTPClient(), n.HTTPBase(), a, path, body)
}

// apiPostTo is apiPost with client to the node whose HTTP API is at base
// (http://host:port or https://).
func apiPostTo(client *http.Client, base string, a config.App, path string, body []byte) (int, error) {
	q := auth.SignRequest("POST", path, nil, body, a.Key, a.Secret, time.Now())
	resp, err := client.Post(base+path+"?"+q.Encode(), "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// channelAuth answers a Pusher channel authorization request for user the
// way a Laravel or Node backend does: {auth} for private channels, {auth,
// channel_data} for presence; 403 for channels named *vault*.
func channelAuth(w http.ResponseWriter, r *http.Request, a config.App, user string) {
	socket, channel := r.FormValue("socket_id"), r.FormValue("channel_name")
	switch {
	case user == "" || !auth.ValidSocketID(socket):
		http.Error(w, "who are you?", http.StatusForbidden)
	case strings.Contains(channel, "vault"):
		http.Error(w, "not yours", http.StatusForbidden)
	case strings.HasPrefix(channel, "presence-"):
		data := fmt.Sprintf(`{"user_id":%q,"user_info":{"name":%q}}`, user, user)
		writeJSON(w, map[string]string{"auth": auth.SignChannel(a.Key, a.Secret, socket, channel, data), "channel_data": data})
	default:
		writeJSON(w, map[string]string{"auth": auth.SignChannel(a.Key, a.Secret, socket, channel, "")})
	}
}

// pageResult is one line of browser/run.mjs.
type pageResult struct {
	URL     string   `json:"url"`
	OK      bool     `json:"ok"`
	Detail  string   `json:"detail"`
	Log     []string `json:"log"`
	Console []string `json:"console"`
}

// runPages opens each page URL in headless Chromium (browser/run.mjs,
// with env) and returns the result line of each page, and the script's
// whole output for failure messages.
func runPages(t *testing.T, env []string, urls ...string) ([]pageResult, string) {
	t.Helper()
	out := runNode(t, env, append([]string{"browser/run.mjs"}, urls...)...)
	var results []pageResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r pageResult
		if json.Unmarshal([]byte(line), &r) == nil && r.URL != "" {
			results = append(results, r)
		}
	}
	return results, out
}

// browserPage serves browser/page.html and its endpoints for one origin.
// The page response sets the HttpOnly fanout_token cookie; cookies are per
// host, not per port, so the browser sends it on the upgrade to the node
// at the same host 127.0.0.1.
func browserPage(t *testing.T, n *fantest.Node, a config.App, expect string) http.Handler {
	host, port, _ := net.SplitHostPort(n.Addr())
	tok, err := auth.Mint(a.Secret, auth.MintOptions{Subject: "browser-user", TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	file := func(path, ctype string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			http.ServeFile(w, r, path)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: auth.DefaultTokenCookie, Value: tok, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		file("browser/page.html", "text/html; charset=utf-8")(w, r)
	})
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		cfg, _ := json.Marshal(map[string]any{"host": host, "port": mustAtoi(port), "key": a.Key, "expect": expect})
		fmt.Fprintf(w, "window.FANOUT = %s;\n", cfg)
	})
	mux.HandleFunc("GET /app.js", file("browser/app.js", "text/javascript"))
	mux.HandleFunc("GET /pusher.min.js", file("node_modules/pusher-js/dist/web/pusher.min.js", "text/javascript"))
	mux.HandleFunc("POST /pusher/auth", func(w http.ResponseWriter, r *http.Request) {
		channelAuth(w, r, a, r.FormValue("user"))
	})
	mux.HandleFunc("POST /pusher/user-auth", func(w http.ResponseWriter, r *http.Request) {
		ud := fmt.Sprintf(`{"id":%q}`, r.FormValue("user"))
		writeJSON(w, map[string]string{"auth": auth.SignUser(a.Key, a.Secret, r.FormValue("socket_id"), ud), "user_data": ud})
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		st, err := publishTo(n, a, "private-room", "greeting", `{"text":"hello browser"}`)
		if err != nil || st != 200 {
			http.Error(w, fmt.Sprintf("publish: %d %v", st, err), http.StatusBadGateway)
		}
	})
	return mux
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// rejectedOrigins reads fanout_upgrades_rejected_total{reason="forbidden_origin"}.
func rejectedOrigins(t *testing.T, n *fantest.Node) int {
	t.Helper()
	resp, err := http.Get("http://" + n.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), `fanout_upgrades_rejected_total{reason="forbidden_origin"} `); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int(f)
		}
	}
	return 0
}

func TestBrowserCookieAuthAndOrigin(t *testing.T) {
	needAuthClients(t, true)
	good, goodPort := listenLoopback(t)
	bad, _ := listenLoopback(t)
	a := authApp("browser", fmt.Sprintf("http://127.0.0.1:%d", goodPort))
	cfg := fantest.Config()
	cfg.Apps = []config.App{a}
	n := fantest.Start(t, cfg, nil)
	serveOn(t, good, browserPage(t, n, a, "allowed"))
	serveOn(t, bad, browserPage(t, n, a, "refused"))

	before := rejectedOrigins(t, n)
	results, out := runPages(t, []string{"CHROMIUM=" + chromiumPath()},
		"http://"+good.Addr().String()+"/", "http://"+bad.Addr().String()+"/")
	if len(results) != 2 || !results[0].OK || !results[1].OK {
		t.Fatalf("browser results: %+v\n%s", results, out)
	}
	// The refusal was the Origin check (the cookie token was valid).
	if got := rejectedOrigins(t, n) - before; got < 1 {
		t.Fatalf("forbidden_origin rejections grew by %d, want at least 1", got)
	}
}

func TestLaravelEchoPrivateAndPresence(t *testing.T) {
	needAuthClients(t, false)
	a := authApp("echo")
	a.Auth.Mode = config.AuthOptional // Echo apps authorize channels, not upgrades
	cfg := fantest.Config()
	cfg.Apps = []config.App{a}
	n := fantest.Start(t, cfg, nil)
	verifier, err := auth.NewVerifier(auth.JWTOptions{HMACSecret: a.Secret})
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, u := range []string{"alice", "bob"} {
		if tokens[u], err = auth.Mint(a.Secret, auth.MintOptions{Subject: u}); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /broadcasting/auth", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		c, err := verifier.Verify(tok, time.Time{})
		if err != nil {
			http.Error(w, "unauthenticated", http.StatusForbidden)
			return
		}
		channelAuth(w, r, a, c.Subject)
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		// As Laravel broadcasts an event class, then as a Pusher SDK
		// trigger names an event (docs/deployment.md's PHP example).
		for _, name := range []string{`App\Events\OrderShipped`, "order-shipped"} {
			st, err := publishTo(n, a, "private-orders.1", name, `{"order":1}`)
			if err != nil || st != 200 {
				http.Error(w, fmt.Sprintf("publish %s: %d %v", name, st, err), http.StatusBadGateway)
				return
			}
		}
	})
	l, _ := listenLoopback(t)
	serveOn(t, l, mux)
	host, port, _ := net.SplitHostPort(n.Addr())
	runNode(t, []string{"FANOUT_HOST=" + host, "FANOUT_PORT=" + port, "APP_KEY=" + a.Key,
		"AUTH_BASE=http://" + l.Addr().String(), "ALICE_TOKEN=" + tokens["alice"], "BOB_TOKEN=" + tokens["bob"]},
		"echo-laravel.mjs")
}
