package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// scrape returns the metrics exposition of n as name{labels} → value.
func scrape(t *testing.T, n *fantest.Node) map[string]float64 {
	t.Helper()
	b := exposition(t, n)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// TestMetricsMoveWithRealTraffic drives real connections, publishes and
// refusals, then checks that every documented metric is served and moved.
func TestMetricsMoveWithRealTraffic(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	before := scrape(t, n)

	c := fantest.Dial(t, n.URL("app-key"), nil)
	c.Subscribe("news")
	if st, body := n.Publish(t, cfg.Apps[0], "news", "flash", "hello"); st != 200 {
		t.Fatalf("publish %d %s", st, body)
	}
	c.Expect("flash")
	bad := cfg.Apps[0]
	bad.Secret = "wrong"
	if st, _ := n.Publish(t, bad, "news", "flash", "x"); st != 401 {
		t.Fatalf("bad signature got %d", st)
	}
	if ref, err := fantest.DialErr(t, "ws://"+n.Addr()+"/app/unknown-key?protocol=7", nil); err == nil {
		ref.CloseCode(3 * time.Second)
	}
	c.Send("pusher:unsubscribe", map[string]string{"channel": "news"})
	c.Conn.Close()

	var after map[string]float64
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		after = scrape(t, n)
		if after[`fanout_connections_closed_total{code="1006"}`]+after[`fanout_connections_closed_total{code="1000"}`] > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	moved := []string{
		`fanout_connections_opened_total{app="app-id"}`,
		`fanout_upgrades_rejected_total{reason="unknown_app"}`,
		`fanout_messages_in_total`, `fanout_messages_out_total`,
		`fanout_bytes_in_total`, `fanout_bytes_out_total`,
		`fanout_publishes_total{app="app-id",result="ok"}`,
		`fanout_publishes_total{app="app-id",result="error"}`,
		`fanout_delivery_duration_seconds_count`,
	}
	for _, name := range moved {
		if after[name] <= before[name] {
			t.Errorf("%s did not move: %v -> %v", name, before[name], after[name])
		}
	}
	closed := 0.0
	for k, v := range after {
		if strings.HasPrefix(k, "fanout_connections_closed_total{") {
			closed += v
		}
	}
	if closed < 1 {
		t.Errorf("fanout_connections_closed_total sums to %v, want >= 1", closed)
	}
	present := []string{"fanout_connections", "fanout_channels", "fanout_slow_consumer_disconnects_total",
		"fanout_heartbeat_timeouts_total", "fanout_broker_errors_total", "fanout_delivery_duration_seconds_bucket",
		"go_goroutines", "process_resident_memory_bytes"}
	for _, p := range present {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(p) + `(\{|$)`)
		found := false
		for k := range after {
			if re.MatchString(k) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("metric %s not served", p)
		}
	}
	if after[`fanout_connections{app="app-id"}`] != 0 {
		t.Errorf("connections gauge %v after close, want 0", after[`fanout_connections{app="app-id"}`])
	}
}

// TestMessagesOutCountsEveryReply: the out counters are not only
// broadcasts; connection_established, subscription_succeeded and the pong
// of pusher:ping are messages written to a client too.
func TestMessagesOutCountsEveryReply(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	before := scrape(t, n)
	c := fantest.Dial(t, n.URL("app-key"), nil) // connection_established
	c.Subscribe("news")                         // subscription_succeeded
	c.Send("pusher:ping", map[string]string{})
	c.Expect("pusher:pong")
	// The count follows the write, so the client may read the pong first.
	after := scrape(t, n)
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) &&
		after[`fanout_messages_out_total`]-before[`fanout_messages_out_total`] < 3; {
		time.Sleep(10 * time.Millisecond)
		after = scrape(t, n)
	}
	if got := after[`fanout_messages_out_total`] - before[`fanout_messages_out_total`]; got != 3 {
		t.Errorf("fanout_messages_out_total moved by %v, want 3", got)
	}
	if got := after[`fanout_bytes_out_total`] - before[`fanout_bytes_out_total`]; got < 3*40 {
		t.Errorf("fanout_bytes_out_total moved by %v, want at least 120 for three events", got)
	}
}
