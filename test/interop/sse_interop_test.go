package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// needPackages fails the test unless node and the npm packages are there.
func needPackages(t *testing.T, pkgs ...string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: install Node.js, then run `make deps-node`")
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			t.Fatalf("npm package %s missing in test/interop: run `make deps-node`", p)
		}
	}
}

// sseApp requires tokens, allows origins and keeps history on orders-*.
func sseApp(origins ...string) config.App {
	a := config.DefaultApp()
	a.ID, a.Key, a.Secret = "sse", "sse-key", "sse-secret"
	a.AllowedOrigins = origins
	a.History = []config.History{{Channels: "orders-*", Size: 1000, TTL: time.Minute}}
	return a
}

// needChromium fails the test unless playwright-core and Chromium are
// installed.
func needChromium(t *testing.T) {
	t.Helper()
	needPackages(t, "playwright-core")
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Fatalf("%s not found: apt-get install chromium (or set CHROMIUM to a Chromium binary)", chromiumPath())
	}
}

func startSSENode(t *testing.T, a config.App) *fantest.Node {
	cfg := fantest.Config()
	cfg.Apps = []config.App{a}
	return fantest.Start(t, cfg, nil)
}

func sseToken(t *testing.T, a config.App, sub string, channels ...string) string {
	t.Helper()
	tok, err := auth.Mint(a.Secret, auth.MintOptions{Subject: sub, Channels: channels, TTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestEventSourceNode runs sse.mjs: the npm eventsource client receives
// events the pusher Node SDK publishes, is refused with 401/404/403, and
// resumes by Last-Event-ID after the server cuts its stream.
func TestEventSourceNode(t *testing.T) {
	needPackages(t, "eventsource", "pusher")
	a := sseApp()
	n := startSSENode(t, a)
	host, port, _ := net.SplitHostPort(n.Addr())
	runNode(t, []string{"FANOUT_HOST=" + host, "FANOUT_PORT=" + port, "FANOUT_APP_ID=" + a.ID,
		"FANOUT_KEY=" + a.Key, "FANOUT_SECRET=" + a.Secret, "SSE_TOKEN=" + sseToken(t, a, "sse-user", "private-sse-*")},
		"--test", "sse.mjs")
}

// TestBrowserEventSource: EventSource with withCredentials in headless
// Chromium, on a page of an allowed origin whose response set the token
// cookie, receives a public and a private channel event published with
// the signed HTTP API; the same page from a disallowed origin gets no
// stream (403), and the node's answers to a bad token and an unknown key
// are 401 and 404.
func TestBrowserEventSource(t *testing.T) {
	needChromium(t)
	good, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := sseApp("http://" + good.Addr().String())
	n := startSSENode(t, a)
	tok := sseToken(t, a, "browser-user", "private-browser-*")
	serveOn(t, good, ssePage(t, n, a, tok, "allowed"))
	serveOn(t, bad, ssePage(t, n, a, tok, "refused"))
	results, out := runPages(t, []string{"CHROMIUM=" + chromiumPath()},
		"http://"+good.Addr().String()+"/", "http://"+bad.Addr().String()+"/")
	if len(results) != 2 || !results[0].OK || !results[1].OK {
		t.Fatalf("browser results: %+v\n%s", results, out)
	}
	// What the refused page could not read (a cross-origin error is
	// opaque to a page), asked directly.
	base := n.HTTPBase() + "/app/" + a.Key + "/sse?channel=news"
	for _, c := range []struct {
		url, origin, token string
		want               int
	}{
		{base, "http://" + bad.Addr().String(), tok, 403},
		{base, "http://" + good.Addr().String(), tok + "x", 401},
		{n.HTTPBase() + "/app/nope/sse?channel=news", "", tok, 404},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s (origin %q): %d %s, want %d", c.url, c.origin, resp.StatusCode, body, c.want)
		}
	}
}

// ssePage serves browser/sse.html: its response sets the HttpOnly token
// cookie, which the browser sends to the node at the same host (cookies
// are per host, not per port) when the EventSource asks withCredentials.
func ssePage(t *testing.T, n *fantest.Node, a config.App, tok, expect string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: auth.DefaultTokenCookie, Value: tok, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, filepath.Join("browser", "sse.html"))
	})
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		u := n.HTTPBase() + "/app/" + a.Key + "/sse?channel=news&channel=private-browser-user.inbox"
		cfg, _ := json.Marshal(map[string]any{"url": u, "expect": expect})
		fmt.Fprintf(w, "window.FANOUT = %s;\n", cfg)
	})
	mux.HandleFunc("POST /trigger", func(w http.ResponseWriter, r *http.Request) {
		for _, ch := range []string{"news", "private-browser-user.inbox"} {
			if st, body := n.Publish(t, a, ch, "greeting", `{"text":"hello `+ch+`"}`); st != 200 {
				http.Error(w, fmt.Sprintf("publish: %d %s", st, body), http.StatusBadGateway)
				return
			}
		}
	})
	return mux
}
