package chaos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
)

// The app every scenario uses.
const (
	AppID     = "app-id"
	AppKey    = "app-key"
	AppSecret = "app-secret"
)

// ServeOptions describe one `fanout serve` process. The zero value is a
// single in-memory node.
type ServeOptions struct {
	RedisURL     string
	RedisCluster bool
	Sentinel     *Sentinels    // find the master through these sentinels (RedisURL then unset)
	Prefix       string        // redis.prefix; default "fanout"
	NodeTTL      time.Duration // redis.node_ttl; default the server's
	Drain        time.Duration // shutdown.drain; default 500ms
	WebhookURL   string        // app webhooks.url; default none
	WebhookRetry int           // webhooks.max_retries; default the server's
	WebhookQueue int           // webhooks.max_queue; default the server's
	Args         []string      // extra flags
	Config       string        // more top-level YAML sections, e.g. "limits:\n  exempt: []\n"
}

// Node is a running `fanout serve` process.
type Node struct {
	*Proc
	Addr        string // WebSocket and HTTP API, host:port
	MetricsAddr string
	http        *http.Client
}

var serving = regexp.MustCompile(`fanout serving.* addr=(\S+) metrics=(\S*)`)

// Serve starts a node on free loopback ports and waits until it says
// where it listens.
func Serve(t testing.TB, o ServeOptions) *Node {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "fanout.yaml")
	if err := os.WriteFile(cfg, []byte(o.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"serve", "--config", cfg, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
		"--log-level", cmpOr(os.Getenv("FANOUT_LOG_LEVEL"), "info"), "--drain", durationOr(o.Drain, 500*time.Millisecond).String()}
	if o.Sentinel != nil {
		args = append(args, "--redis-sentinel-master-name", SentinelMaster,
			"--redis-sentinel-addrs", strings.Join(o.Sentinel.Addrs(), ","))
	}
	if o.RedisURL != "" || o.Sentinel != nil {
		if o.RedisURL != "" {
			args = append(args, "--redis-url", o.RedisURL)
		}
		args = append(args, "--redis-prefix", cmpOr(o.Prefix, "fanout"))
		if o.RedisCluster {
			args = append(args, "--redis-cluster")
		}
		if o.NodeTTL > 0 {
			args = append(args, "--redis-node-ttl", o.NodeTTL.String())
		}
	}
	n := &Node{Proc: start(t, "fanout serve", Binary(t), append(args, o.Args...)...),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if _, ok := Eventually(30*time.Second, func() bool {
		m := serving.FindStringSubmatch(n.Output())
		if m != nil {
			n.Addr, n.MetricsAddr = m[1], m[2]
		}
		return m != nil || n.Exited()
	}); !ok || n.Addr == "" {
		t.Fatalf("fanout serve never said where it listens:\n%s", n.Output())
	}
	n.Name = "fanout serve " + n.Addr
	return n
}

func (o ServeOptions) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apps:\n  - id: %s\n    key: %s\n    secret: %s\n    client_events: true\n    auth: {mode: off}\n", AppID, AppKey, AppSecret)
	if o.WebhookURL != "" {
		fmt.Fprintf(&b, "    webhooks:\n      url: %s\n      batch_wait: 50ms\n", o.WebhookURL)
		if o.WebhookRetry > 0 {
			fmt.Fprintf(&b, "      max_retries: %d\n", o.WebhookRetry)
		}
		if o.WebhookQueue > 0 {
			fmt.Fprintf(&b, "      max_queue: %d\n", o.WebhookQueue)
		}
	}
	if o.Sentinel != nil {
		b.WriteString(o.Sentinel.yaml())
	}
	b.WriteString(o.Config)
	return b.String()
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func cmpOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// Term sends SIGTERM (starts the drain).
func (n *Node) Term() { n.Signal(syscall.SIGTERM) }

// URL is the WebSocket URL of the app.
func (n *Node) URL() string {
	return "ws://" + n.Addr + "/app/" + AppKey + "?protocol=7&client=chaos&version=1.0"
}

// Status answers GET path with its status code (0 when the request
// failed), on a fresh connection, within d.
func (n *Node) Status(path string, d time.Duration) int {
	c := &http.Client{Timeout: d, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + n.Addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// API makes a signed HTTP API request and returns status and body (status
// 0 and the error text when the request failed).
func (n *Node) API(method, path string, query url.Values, body []byte) (int, string) {
	q := auth.SignRequest(method, path, query, body, AppKey, AppSecret, time.Now())
	req, _ := http.NewRequest(method, "http://"+n.Addr+path+"?"+q.Encode(), bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.http.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Publish triggers one event and returns the status (0: transport error).
func (n *Node) Publish(channel, event, data string) int {
	status, _ := n.PublishAnswer(channel, event, data)
	return status
}

// PublishAnswer is Publish that returns the body too (with status 0, the
// transport error's text).
func (n *Node) PublishAnswer(channel, event, data string) (int, string) {
	body, _ := json.Marshal(map[string]any{"name": event, "channel": channel, "data": data})
	return n.API("POST", "/apps/"+AppID+"/events", nil, body)
}

// Channels returns the occupied channels whose names start with prefix,
// as the HTTP API reports them, with their user_count when prefix is
// "presence-" (the API gives user counts only for that filter).
func (n *Node) Channels(prefix string) (map[string]int, error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("filter_by_prefix", prefix)
	}
	if prefix == "presence-" {
		q.Set("info", "user_count")
	}
	status, body := n.API("GET", "/apps/"+AppID+"/channels", q, nil)
	if status != 200 {
		return nil, fmt.Errorf("GET channels: %d %s", status, body)
	}
	var r struct {
		Channels map[string]struct {
			UserCount int `json:"user_count"`
		} `json:"channels"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for name, c := range r.Channels {
		out[name] = c.UserCount
	}
	return out, nil
}

// Users returns the ids of a presence channel's members.
func (n *Node) Users(channel string) ([]string, error) {
	status, body := n.API("GET", "/apps/"+AppID+"/channels/"+channel+"/users", nil, nil)
	if status != 200 {
		return nil, fmt.Errorf("GET users: %d %s", status, body)
	}
	var r struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	err := json.Unmarshal([]byte(body), &r)
	ids := make([]string, 0, len(r.Users))
	for _, u := range r.Users {
		ids = append(ids, u.ID)
	}
	return ids, err
}

// Metric returns the sum of every sample of the metric family name on
// /metrics whose labels contain each of labels ("k=\"v\"" strings).
func (n *Node) Metric(name string, labels ...string) (float64, error) {
	resp, err := http.Get("http://" + n.MetricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}
