package server_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/metrics"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// exposition is the raw /metrics text of n.
func exposition(t *testing.T, n *fantest.Node) []byte {
	t.Helper()
	resp, err := http.Get("http://" + n.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// closeWith closes a client connection with a close code of its choice
// and waits for the server's echo of the close.
func closeWith(t *testing.T, c *fantest.Client, code ws.StatusCode) {
	t.Helper()
	if err := wsutil.WriteClientMessage(c.Conn, ws.OpClose, ws.NewCloseFrameBody(code, "bye")); err != nil {
		t.Fatal(err)
	}
	c.CloseCode(3 * time.Second)
	c.Conn.Close()
}

// After real traffic, including clients that close with codes of their
// own choosing, the exposition passes the Prometheus project's linter
// (promlint) for every fanout_ family, each family has a help text, the
// close-code label stays within the known codes, the process descriptor
// metrics are served, and docs/metrics.md lists exactly what is served.
//
// The node terminates TLS, so that the families served only with TLS on
// are linted and checked against the docs too.
func TestMetricsExpositionLintsAndMatchesTheDocs(t *testing.T) {
	n, _ := startTLS(t)
	cfg := n.Cfg
	c := dialTLS(t, n, n.ClientTLS)
	c.Subscribe("news")
	if st, body := n.Publish(t, cfg.Apps[0], "news", "flash", "hello"); st != 200 {
		t.Fatalf("publish %d %s", st, body)
	}
	c.Expect("flash")
	for _, code := range []ws.StatusCode{3001, 4444, 4999, 1000} {
		closeWith(t, dialTLS(t, n, n.ClientTLS), code)
	}
	var text []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		text = exposition(t, n)
		if bytes.Contains(text, []byte(`fanout_connections_closed_total{code="other"} 3`)) &&
			bytes.Contains(text, []byte(`fanout_connections_closed_total{code="1000"} 1`)) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatalf("promlint cannot read the exposition: %v", err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "fanout_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}

	families := map[string]bool{} // fanout_ families from # TYPE lines
	helped := map[string]bool{}
	codes := map[string]float64{}
	codeRE := regexp.MustCompile(`^fanout_connections_closed_total\{code="([^"]*)"\} (\S+)$`)
	for _, line := range strings.Split(string(text), "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE fanout_"); ok {
			families["fanout_"+strings.Fields(f)[0]] = true
		}
		if f, ok := strings.CutPrefix(line, "# HELP fanout_"); ok {
			if name, h, _ := strings.Cut(f, " "); strings.TrimSpace(h) != "" {
				helped["fanout_"+name] = true
			}
		}
		if m := codeRE.FindStringSubmatch(line); m != nil {
			codes[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	for f := range families {
		if !helped[f] {
			t.Errorf("%s has no # HELP text", f)
		}
	}
	if codes["other"] != 3 || codes["1000"] < 1 {
		t.Errorf("closes by code: %v; want 3001, 4444 and 4999 as other, 1000 as itself", codes)
	}
	known := []string{"other"}
	for _, k := range metrics.KnownCloseCodes() {
		known = append(known, strconv.Itoa(k))
	}
	for code := range codes {
		if !slices.Contains(known, code) {
			t.Errorf("close code label %q is not a known code", code)
		}
	}
	for _, name := range []string{"process_open_fds", "process_max_fds", "process_resident_memory_bytes", "go_goroutines"} {
		if !regexp.MustCompile(`(?m)^` + name + ` \d`).Match(text) {
			t.Errorf("%s is not served", name)
		}
	}

	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(fanout_[a-z_]+)` \\|").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	for f := range families {
		if !documented[f] {
			t.Errorf("%s is served but not in the table of docs/metrics.md", f)
		}
	}
	// Histograms appear on their first observation; these need Redis or a
	// webhook, which this node has not. The Prometheus test of the
	// dashboard (deploy/grafana) scrapes them from a node that has both,
	// and lints them.
	elsewhere := map[string]bool{"fanout_broker_rtt_seconds": true, "fanout_webhook_request_duration_seconds": true}
	for f := range documented {
		if !families[f] && !elsewhere[f] {
			t.Errorf("docs/metrics.md lists %s, which is not served", f)
		}
	}
	for _, name := range []string{"process_open_fds", "process_max_fds"} {
		if !bytes.Contains(doc, []byte(name)) {
			t.Errorf("docs/metrics.md does not mention %s", name)
		}
	}
}
