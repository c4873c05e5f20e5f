package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// TestBrowserEventSourceResume: Chromium's own EventSource on a channel
// with history (browser/sse-resume.html). The server ends the stream
// (the HTTP API terminates the user's connections), 100 events are
// published while the browser is away, and the browser reconnects by
// itself with Last-Event-ID and has every event once, in order. On one
// node with the in-memory broker, and on two nodes sharing Redis, where
// the page then also has its node drained and comes back on the other.
// The browser reaches the nodes through a proxy that the page server
// holds closed while it publishes, so those events are certainly
// published while the stream is down.
func TestBrowserEventSourceResume(t *testing.T) {
	needChromium(t)
	single := []*fantest.Node{startSSENode(t, sseApp())}
	cfg := fantest.Config()
	cfg.Apps = []config.App{sseApp()}
	pair := startRedisPair(t, cfg, "sse-resume")
	var urls []string
	for _, nodes := range [][]*fantest.Node{single, pair} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		serveOn(t, l, resumePage(t, nodes))
		urls = append(urls, "http://"+l.Addr().String()+"/")
	}
	results, out := runPages(t, []string{"CHROMIUM=" + chromiumPath(), "TIMEOUT_MS=55000"}, urls...)
	if len(results) != 2 || !results[0].OK || !results[1].OK {
		t.Fatalf("browser results: %+v\n%s", results, out)
	}
	t.Logf("single node: %s; two nodes over Redis: %s", results[0].Detail, results[1].Detail)
}

// resumePage serves browser/sse-resume.html for nodes (one or two) and
// the steps the page drives: publish, cut, drain, up.
func resumePage(t *testing.T, nodes []*fantest.Node) http.Handler {
	a := nodes[0].Cfg.Apps[0]
	const channel, user = "orders-browser", "browser-user"
	tok := sseToken(t, a, user)
	p := startCutProxy(t, nodes[0].Addr())
	var mu sync.Mutex
	cur := 0 // the node the proxy sends new connections to
	node := func() *fantest.Node { mu.Lock(); defer mu.Unlock(); return nodes[cur] }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, filepath.Join("browser", "sse-resume.html"))
	})
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		u := "http://" + p.l.Addr().String() + "/app/" + a.Key + "/sse?channel=" + channel + "&token=" + tok
		cfg, _ := json.Marshal(map[string]any{"url": u, "drain": len(nodes) > 1})
		fmt.Fprintf(w, "window.FANOUT = %s;\n", cfg)
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		to, _ := strconv.Atoi(r.URL.Query().Get("to"))
		n := node()
		for i := from; i <= to; i++ {
			if st, err := publishTo(n, a, channel, "n", fmt.Sprintf(`{"n":%d}`, i)); err != nil || st != 200 {
				http.Error(w, fmt.Sprintf("publish %d: %d %v", i, st, err), http.StatusBadGateway)
				return
			}
		}
	})
	// cut: the server ends the stream; the proxy refuses reconnects
	// until up.
	mux.HandleFunc("POST /cut", func(w http.ResponseWriter, r *http.Request) {
		p.setDown(true)
		if st, err := apiPost(node(), a, "/apps/"+a.ID+"/users/"+user+"/terminate_connections", []byte("{}")); err != nil || st != 200 {
			http.Error(w, fmt.Sprintf("terminate: %d %v", st, err), http.StatusBadGateway)
		}
	})
	// drain: the node the page is on drains (ending the stream) and new
	// connections go to the next node.
	mux.HandleFunc("POST /drain", func(w http.ResponseWriter, r *http.Request) {
		p.setDown(true)
		mu.Lock()
		old := nodes[cur]
		cur = (cur + 1) % len(nodes)
		p.setTarget(nodes[cur].Addr())
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := old.Drain(ctx, 100*time.Millisecond); err != nil {
			http.Error(w, "drain: "+err.Error(), http.StatusBadGateway)
		}
	})
	mux.HandleFunc("POST /up", func(w http.ResponseWriter, r *http.Request) { p.setDown(false) })
	return mux
}
