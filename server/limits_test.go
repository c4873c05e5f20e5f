package server_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// request sends one raw HTTP request from local (a loopback source
// address) and returns the response head; the socket stays open until
// the test ends unless the server closes it.
func request(t *testing.T, n *fantest.Node, local, req string) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer to %q: %v (got %q)", strings.SplitN(req, "\r\n", 2)[0], err, head.String())
		}
		if head.WriteString(line); line == "\r\n" {
			return head.String()
		}
	}
}

func upgradeReq(key string, extra ...string) string {
	return "GET /app/" + key + "?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + strings.Join(extra, "") + "\r\n"
}

func metric(t *testing.T, n *fantest.Node, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(exposition(t, n))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// Past its connection limit, an address's WebSocket upgrades and event
// streams are answered 429 with Retry-After before the upgrade, counted
// by reason; another address is unaffected, and a closed connection
// gives its place back.
func TestConnectionsPerIPAnswered429(t *testing.T) {
	cfg := fantest.Config()
	cfg.Limits.Exempt = []string{}
	cfg.Limits.MaxConnectionsPerIP = 2
	n := fantest.Start(t, cfg, nil)
	key := cfg.Apps[0].Key
	for i := range 2 {
		if h := request(t, n, "127.0.0.2", upgradeReq(key)); !strings.HasPrefix(h, "HTTP/1.1 101") {
			t.Fatalf("upgrade %d under the limit: %q", i, h)
		}
	}
	h := request(t, n, "127.0.0.2", upgradeReq(key))
	if !strings.HasPrefix(h, "HTTP/1.1 429") || !strings.Contains(h, "\r\nRetry-After: 1\r\n") {
		t.Fatalf("third upgrade: %q, want 429 with Retry-After", h)
	}
	if h := request(t, n, "127.0.0.2", "GET /app/"+key+"/sse?channel=news HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(h, "HTTP/1.1 429") ||
		!strings.Contains(h, "\r\nContent-Type: application/json\r\n") {
		t.Fatalf("event stream over the limit: %q, want 429 with the JSON error", h)
	}
	if h := request(t, n, "127.0.0.3", upgradeReq(key)); !strings.HasPrefix(h, "HTTP/1.1 101") {
		t.Fatalf("another address: %q", h)
	}
	if h := request(t, n, "127.0.0.2", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(h, "HTTP/1.1 200") {
		t.Fatalf("plain HTTP is not an upgrade: %q", h)
	}
	if v := metric(t, n, `fanout_upgrades_rejected_total{reason="ip_connections"}`); v != 2 {
		t.Fatalf("ip_connections refusals counted %v, want 2", v)
	}
	// a client that leaves gives its place back
	c := fantest.Dial(t, n.URL(key), nil) // 127.0.0.1
	c.Conn.Close()
	cfg2 := fantest.Config()
	cfg2.Limits.Exempt = []string{}
	cfg2.Limits.MaxConnectionsPerIP = 1
	m := fantest.Start(t, cfg2, nil)
	first := fantest.Dial(t, m.URL(key), nil)
	if _, err := fantest.DialErr(t, m.URL(key), nil); err == nil {
		t.Fatal("second connection admitted over a limit of 1")
	}
	first.Conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := fantest.DialErr(t, m.URL(key), nil)
		if err == nil {
			c.Conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place was never given back: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An address that starts upgrades faster than its rate gets 429 with
// the time until its next one.
func TestUpgradeRatePerIPAnswered429(t *testing.T) {
	cfg := fantest.Config()
	cfg.Limits.Exempt = []string{}
	cfg.Limits.UpgradesPerSecondPerIP = 1
	cfg.Limits.UpgradeBurstPerIP = 2
	n := fantest.Start(t, cfg, nil)
	key := cfg.Apps[0].Key
	refused := 0
	for range 8 { // at most 2 + the seconds they take pass: 8 take far less than 6 s
		h := request(t, n, "127.0.0.2", upgradeReq(key))
		if strings.HasPrefix(h, "HTTP/1.1 429") {
			refused++
			if !strings.Contains(h, "\r\nRetry-After: 1\r\n") {
				t.Fatalf("refusal without Retry-After: %q", h)
			}
		}
	}
	if refused == 0 {
		t.Fatal("none of 8 quick upgrades refused with a burst of 2 at 1/s")
	}
	if v := metric(t, n, `fanout_upgrades_rejected_total{reason="ip_upgrade_rate"}`); v != float64(refused) {
		t.Fatalf("ip_upgrade_rate refusals counted %v, want %d", v, refused)
	}
}

// Behind a trusted proxy the client is the X-Forwarded-For hop the proxy
// added; from anyone else the header is ignored.
func TestConnectionsPerIPBehindTrustedProxy(t *testing.T) {
	cfg := fantest.Config()
	cfg.Limits.Exempt = []string{}
	cfg.Limits.MaxConnectionsPerIP = 1
	cfg.Limits.TrustedProxies = []string{"127.0.0.2"}
	n := fantest.Start(t, cfg, nil)
	key := cfg.Apps[0].Key
	xff := func(a string) string { return "X-Forwarded-For: 203.0.113.50, " + a + "\r\n" }
	for _, c := range []struct {
		local, header string
		want          string
	}{
		{"127.0.0.2", xff("198.51.100.1"), "101"}, // client 198.51.100.1 (the first hop is not believed)
		{"127.0.0.2", xff("198.51.100.1"), "429"}, // the same client again
		{"127.0.0.2", xff("198.51.100.2"), "101"}, // another client through the same proxy
		{"127.0.0.3", xff("198.51.100.3"), "101"}, // untrusted peer: counted as 127.0.0.3
		{"127.0.0.3", xff("198.51.100.4"), "429"}, // still 127.0.0.3, whatever it claims
	} {
		if h := request(t, n, c.local, upgradeReq(key, c.header)); !strings.HasPrefix(h, "HTTP/1.1 "+c.want) {
			t.Fatalf("from %s with %q: %q, want %s", c.local, c.header, h, c.want)
		}
	}
}

// Past its HTTP API rate an app's signed requests get 429 with
// Retry-After and the JSON error body, counted per app; nothing is
// delivered for them.
func TestAPIRequestsPerAppAnswered429(t *testing.T) {
	cfg := fantest.Config()
	cfg.Limits.APIRequestsPerSecond = 1
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]
	c := fantest.Dial(t, n.URL(app.Key), nil)
	c.Subscribe("news")
	ok, throttled := 0, 0
	for range 5 { // far less than a second apart on loopback
		st, hdr, body := publishRaw(t, n, app)
		switch st {
		case 200:
			ok++
		case http.StatusTooManyRequests:
			throttled++
			if !strings.HasPrefix(body, `{"error":"too many requests`) || hdr.Get("Retry-After") != "1" {
				t.Fatalf("429 with Retry-After %q and body %q", hdr.Get("Retry-After"), body)
			}
		default:
			t.Fatalf("publish answered %d %s", st, body)
		}
	}
	if throttled == 0 || ok == 0 {
		t.Fatalf("%d accepted, %d throttled: want the first accepted and some throttled at 1/s", ok, throttled)
	}
	if v := metric(t, n, `fanout_http_api_throttled_total{app="`+app.ID+`"}`); v != float64(throttled) {
		t.Fatalf("throttled counted %v, want %d", v, throttled)
	}
	if st, out := n.Publish(t, app, "news", "mark", "m"); st != 200 && st != http.StatusTooManyRequests {
		t.Fatalf("marker: %d %s", st, out)
	}
	got := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if st, _ := n.Publish(t, app, "news", "mark", "m"); st == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for ev := c.Next(); ev.Event != "mark"; ev = c.Next() {
		got++
	}
	if got != ok {
		t.Fatalf("%d events delivered, want the %d accepted", got, ok)
	}
}

// publishRaw makes one signed publish and returns status, headers, body.
func publishRaw(t *testing.T, n *fantest.Node, app config.App) (int, http.Header, string) {
	t.Helper()
	body := []byte(`{"name":"ev","channel":"news","data":"x"}`)
	path := "/apps/" + app.ID + "/events"
	q := auth.SignRequest("POST", path, nil, body, app.Key, app.Secret, time.Now())
	resp, err := http.Post(n.HTTPBase()+path+"?"+q.Encode(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
