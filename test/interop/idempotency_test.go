package interop

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/chaos"
	"github.com/fanout/fanout/internal/fantest"
)

// idempotencyWindow is short, so that the script can wait it out.
const idempotencyWindow = time.Second

func idempotencyConfig() config.Config {
	cfg := fantest.Config()
	cfg.Idempotency.Window = idempotencyWindow
	return cfg
}

// TestIdempotentPublishSingleNode: the pusher Node SDK repeats triggers
// and batches with the same idempotency_key (as a backend retrying after
// a timeout does); pusher-js subscribers receive each event once, and
// again once the window has passed (idempotency.mjs).
func TestIdempotentPublishSingleNode(t *testing.T) {
	needNode(t)
	runIdempotency(t, []*fantest.Node{fantest.Start(t, idempotencyConfig(), nil)})
}

// TestIdempotentPublishTwoNodes: the same over two nodes sharing a
// redis-server: a publish accepted on one node and repeated on the other
// is delivered once, to the subscribers of both.
func TestIdempotentPublishTwoNodes(t *testing.T) {
	needNode(t)
	runIdempotency(t, startRedisPair(t, idempotencyConfig(), "idem"))
}

func runIdempotency(t *testing.T, nodes []*fantest.Node) {
	var ports []string
	for _, n := range nodes {
		_, port, _ := net.SplitHostPort(n.Addr())
		ports = append(ports, port)
	}
	app := nodes[0].Cfg.Apps[0]
	tg := target{addr: nodes[0].Addr(), appID: app.ID, key: app.Key, secret: app.Secret, extra: []string{
		"FANOUT_PORTS=" + strings.Join(ports, ","),
		"FANOUT_WINDOW_MS=" + strconv.FormatInt(idempotencyWindow.Milliseconds(), 10),
	}}
	run(t, tg, "node", "--test", "idempotency.mjs")
}

// TestIdempotentRetryAfterRedisOutage: the first attempt of a keyed
// publish fails with 503 while Redis is down (nothing delivered, the key
// not kept); the backend's retries after Redis is back deliver the event
// exactly once, and a further repeat is answered 200 without delivery.
func TestIdempotentRetryAfterRedisOutage(t *testing.T) {
	srv := chaos.StartRedis(t)
	b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "idem-outage"})
	if err != nil {
		t.Fatal(err)
	}
	n := fantest.Start(t, idempotencyConfig(), b)
	app := n.Cfg.Apps[0]
	c := fantest.Dial(t, n.URL(app.Key), nil)
	c.Subscribe("payments")

	body, _ := json.Marshal(map[string]any{"name": "paid", "channel": "payments", "data": "42", "idempotency_key": "payment-42"})
	publish := func() (int, string) { return n.API(t, app, "POST", "/apps/"+app.ID+"/events", nil, body) }

	srv.Kill()
	if _, ok := chaos.Eventually(10*time.Second, func() bool { return status(n, "/readyz") == http.StatusServiceUnavailable }); !ok {
		t.Fatal("node still ready 10s after Redis went down")
	}
	if st, out := publish(); st != http.StatusServiceUnavailable {
		t.Fatalf("first attempt with Redis down: %d %s, want 503", st, out)
	}
	srv.Restart()
	// The backend retries (the SDKs surface the 503; the caller retries
	// after Retry-After) until accepted.
	var st int
	var out string
	if _, ok := chaos.Eventually(20*time.Second, func() bool { st, out = publish(); return st == 200 }); !ok {
		t.Fatalf("retries after Redis came back: last %d %s", st, out)
	}
	if st, out := publish(); st != 200 {
		t.Fatalf("repeat after acceptance: %d %s, want 200", st, out)
	}
	if st, out := n.Publish(t, app, "payments", "mark", "m"); st != 200 {
		t.Fatalf("marker: %d %s", st, out)
	}
	var got []string
	for {
		ev := c.Next()
		if ev.Event == "mark" {
			break
		}
		got = append(got, ev.Event+":"+ev.DataString())
	}
	if len(got) != 1 || got[0] != "paid:42" {
		t.Fatalf("delivered %v before the marker, want [paid:42] once", got)
	}
}

// status is the status of a GET of path on n, 0 when it cannot connect.
func status(n *fantest.Node, path string) int {
	resp, err := http.Get(n.HTTPBase() + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestIdempotentConcurrentRepeats: 20 attempts of one keyed publish sent
// at once, half to each of two nodes sharing Redis: each is answered 200
// (those that find the first still in flight wait for its outcome) and
// the event is delivered once.
func TestIdempotentConcurrentRepeats(t *testing.T) {
	nodes := startRedisPair(t, idempotencyConfig(), "idem-race")
	app := nodes[0].Cfg.Apps[0]
	var clients []*fantest.Client
	for _, n := range nodes {
		c := fantest.Dial(t, n.URL(app.Key), nil)
		c.Subscribe("race")
		clients = append(clients, c)
	}
	// Both nodes listen on the channel once a probe from the first node
	// reaches the second node's subscriber.
	for i := 0; ; i++ {
		nodes[0].Publish(t, app, "race", "probe", "p")
		if ev, err := clients[1].NextErr(200 * time.Millisecond); err == nil && ev.Event == "probe" {
			break
		}
		if i == 50 {
			t.Fatal("the second node never received a probe")
		}
	}
	body, _ := json.Marshal(map[string]any{"name": "once", "channel": "race", "data": "x", "idempotency_key": "race-1"})
	codes := make(chan string, 20)
	for i := range 20 {
		go func() {
			st, out := nodes[i%2].API(t, app, "POST", "/apps/"+app.ID+"/events", nil, body)
			codes <- strconv.Itoa(st) + " " + out
		}()
	}
	for range 20 {
		if c := <-codes; !strings.HasPrefix(c, "200 ") {
			t.Errorf("attempt answered %s, want 200", c)
		}
	}
	for _, n := range nodes {
		if st, out := n.Publish(t, app, "race", "mark", "m"); st != 200 {
			t.Fatalf("marker: %d %s", st, out)
		}
	}
	for i, c := range clients {
		var once, marks int
		for marks < 2 { // the marker of each node, after the event on both
			switch ev := c.Next(); ev.Event {
			case "once":
				once++
			case "mark":
				marks++
			}
		}
		if once != 1 {
			t.Errorf("node %d's subscriber received the event %d times, want once", i, once)
		}
	}
}
