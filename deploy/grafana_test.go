package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/chaos"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// dashboard is the part of a Grafana dashboard this test reads.
type dashboard struct {
	Panels []struct {
		Title   string
		Type    string
		Targets []struct{ Expr string }
	}
	Templating struct {
		List []struct {
			Name       string
			Type       string
			Definition string
		}
	}
}

// The Grafana dashboard's every panel shows data from a real Prometheus
// (Debian's prometheus binary, scraping every second) that scrapes a real
// node under light traffic: TLS clients on public and presence channels,
// signed publishes, a webhook receiver, Redis as the broker. The
// dashboard's variables are substituted as Grafana does with "All"
// selected. The alert rules load in the same Prometheus and evaluate
// without error, and the node's exposition (with the series that need
// Redis and webhooks) passes promlint.
func TestGrafanaDashboardPanelsHaveData(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (apt-get install prometheus): dashboard not checked")
	}
	var d dashboard
	raw, err := os.ReadFile("grafana/fanout.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("grafana/fanout.json: %v", err)
	}

	// The node: TLS, Redis, a webhook receiver.
	var hooks atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hooks.Add(1)
	}))
	t.Cleanup(receiver.Close)
	rs := chaos.StartRedis(t)
	b, err := redis.New(redis.Options{URL: rs.URL(), Prefix: "dash"})
	if err != nil {
		t.Fatal(err)
	}
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	cfg.Apps[0].Webhooks.URL = receiver.URL
	cfg.Apps[0].Webhooks.BatchWait = 10 * time.Millisecond
	n := fantest.Start(t, cfg, b)
	n.ClientTLS = pki.ClientConfig()
	app := cfg.Apps[0]

	api := startPrometheus(t, prom, n.MetricsAddr())

	// Light traffic, in rounds, until every panel shows data (bounded).
	vars := strings.NewReplacer("$instance", ".*", "$app", ".*", "$__rate_interval", "10s")
	missing := map[string]bool{}
	deadline := time.Now().Add(90 * time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		traffic(t, n, app, round)
		clear(missing)
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if !hasData(t, api, vars.Replace(tg.Expr)) {
					missing[p.Title+": "+tg.Expr] = true
				}
			}
		}
		if len(missing) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for m := range missing {
		t.Errorf("panel without data: %s", m)
	}
	panels := 0
	for _, p := range d.Panels {
		if p.Type != "row" {
			panels++
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
		}
	}
	t.Logf("%d panels with data after traffic; %d webhook requests received", panels, hooks.Load())

	// The variables resolve to the node and its app.
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		def := vars.Replace(v.Definition)
		inner := strings.TrimSuffix(strings.TrimPrefix(def, "label_values("), ")")
		i := strings.LastIndex(inner, ",")
		match, label := strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
		var vals []string
		getJSON(t, api+"/api/v1/label/"+label+"/values?"+url.Values{"match[]": {match}}.Encode(), &vals)
		if len(vals) == 0 {
			t.Errorf("variable $%s (%s) has no values", v.Name, v.Definition)
		}
	}

	// The alert rules load and evaluate.
	var rules struct {
		Groups []struct {
			Rules []struct{ Name, Health, LastError string }
		}
	}
	getJSON(t, api+"/api/v1/rules", &rules)
	count := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			count++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if count == 0 {
		t.Error("Prometheus loaded no alert rules from prometheus/fanout-rules.yml")
	}

	resp, err := http.Get("http://" + n.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "fanout_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// traffic is one round: a TLS client on a public and a presence channel,
// three signed publishes it receives, a refused upgrade, then it leaves
// (webhooks: channel_occupied, member_added and their opposites).
func traffic(t *testing.T, n *fantest.Node, app config.App, round int) {
	t.Helper()
	c, err := fantest.DialTLS(t, n.URL(app.Key), nil, n.ClientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Conn.Close()
	var est struct {
		SocketID string `json:"socket_id"`
	}
	if ev := c.Expect("pusher:connection_established"); json.Unmarshal([]byte(ev.DataString()), &est) != nil {
		t.Fatalf("connection_established: %s", ev.Data)
	}
	ch := "news-" + strconv.Itoa(round%3)
	c.Subscribe(ch)
	data := fmt.Sprintf(`{"user_id":"u%d"}`, round)
	c.Send("pusher:subscribe", map[string]string{"channel": "presence-room", "channel_data": data,
		"auth": auth.SignChannel(app.Key, app.Secret, est.SocketID, "presence-room", data)})
	c.Expect("pusher_internal:subscription_succeeded")
	for range 3 {
		if st, body := n.Publish(t, app, ch, "flash", "hello"); st != 200 {
			t.Fatalf("publish: %d %s", st, body)
		}
		c.Expect("flash")
	}
	if r, err := fantest.DialTLS(t, "wss://"+n.Addr()+"/app/no-such-key?protocol=7", nil, n.ClientTLS); err == nil {
		r.Conn.Close()
	}
}

// hasData runs an instant query and reports whether it returned at least
// one sample that is a number (a quantile of no observations is NaN).
func hasData(t *testing.T, api, expr string) bool {
	t.Helper()
	var res struct {
		Result []struct {
			Value [2]any
		}
	}
	getJSON(t, api+"/api/v1/query?"+url.Values{"query": {expr}}.Encode(), &res)
	for _, r := range res.Result {
		if s, ok := r.Value[1].(string); ok {
			if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

// getJSON GETs a Prometheus HTTP API URL and decodes its data field into
// v (https://prometheus.io/docs/prometheus/latest/querying/api/).
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Status string
		Error  string
		Data   json.RawMessage
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &env); err != nil || env.Status != "success" {
		t.Fatalf("GET %s: %s %s", u, env.Error, body)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// startPrometheus runs prometheus in a temporary directory, scraping
// target every second as job "fanout" with the alert rules loaded, and
// returns its base URL once it is ready.
func startPrometheus(t *testing.T, prom, target string) string {
	t.Helper()
	dir := t.TempDir()
	rules, _ := filepath.Abs("prometheus/fanout-rules.yml")
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: fanout
    static_configs:
      - targets: [%q]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	var log bytes.Buffer
	cmd := exec.CommandContext(ctx, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
	}
	t.Fatalf("prometheus never became ready:\n%s", log.String())
	return ""
}
