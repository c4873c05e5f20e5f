package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/bench/peers/gorillahub"
)

func TestMain(m *testing.M) {
	RunWorkerIfChild() // the harness re-executes this test binary as its workers
	os.Exit(m.Run())
}

// hub is a gorillahub on a free loopback port that counts its WebSocket
// clients by key (their source address, or for a TLS hub their SNI).
type hub struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func startHub(t *testing.T) *hub {
	t.Helper()
	return newHub(t, httptest.NewServer, func(r *http.Request) string {
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		return ip
	})
}

func newHub(t *testing.T, serve func(http.Handler) *httptest.Server, key func(*http.Request) string) *hub {
	t.Helper()
	h := &hub{seen: map[string]int{}}
	inner := gorillahub.New(gorillahub.Options{})
	h.Server = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/app/") {
			h.mu.Lock()
			h.seen[key(r)]++
			h.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hub) wsURL() string { return "ws://" + strings.TrimPrefix(h.URL, "http://") }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConnectTwoWorkers(t *testing.T) {
	h := startHub(t)
	res, err := Execute(testCtx(t), Options{Scenario: "connect", URLs: []string{h.wsURL()},
		Conns: 200, Channels: 4, Workers: 2, Duration: 200 * time.Millisecond, Quiet: true,
		ServerPIDs: []int{os.Getpid()}, MeasureAt: []int{100}, Settle: 10 * time.Millisecond}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 200 || res.Failed != 0 {
		t.Fatalf("subscribed %d failed %d (%v)", res.Subscribed, res.Failed, res.Failures)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen["127.0.0.2"] != 100 || h.seen["127.0.0.3"] != 100 {
		t.Fatalf("source addresses %v, want 100 each from 127.0.0.2 and 127.0.0.3", h.seen)
	}
	if len(res.Measures) != 2 || res.Measures[0].N != 100 || res.Measures[1].N != 200 || res.Measures[1].RSS <= 0 {
		t.Fatalf("measures %+v", res.Measures)
	}
	if res.ConnectRate <= 0 || res.TimeToSubscribed <= 0 {
		t.Fatalf("rate %f time %f", res.ConnectRate, res.TimeToSubscribed)
	}
}

func TestFanoutDeliversEveryEvent(t *testing.T) {
	h := startHub(t)
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{h.wsURL()},
		Conns: 50, Channels: 5, Workers: 1, Rate: 40, Publishers: 2, Duration: time.Second, Quiet: true,
		ServerPIDs: []int{os.Getpid()}}, os.Stderr) // the hub runs in this process
	if err != nil {
		t.Fatal(err)
	}
	allDelivered(t, res, 10)
	l := res.Latency
	if l == nil || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
		t.Fatalf("latency %+v", l)
	}
	// The gorilla hub writes each delivery with its own write(2).
	if res.CPUPerDeliveryUs <= 0 || res.WritesPerDelivery < 1 || res.ServerWrites < res.Delivered {
		t.Fatalf("cpu %.2f µs/delivery, %.3f writes/delivery (%d writes)", res.CPUPerDeliveryUs, res.WritesPerDelivery, res.ServerWrites)
	}
}

// allDelivered fails t unless publishes were made, none failed, and each
// reached its perEvent subscribers.
func allDelivered(t *testing.T, res *Result, perEvent uint64) {
	t.Helper()
	if res.Published == 0 || res.PublishFailed != 0 {
		t.Fatalf("published %d failed %d %v", res.Published, res.PublishFailed, res.PublishErrors)
	}
	if res.Expected != res.Published*perEvent || res.Delivered != res.Expected || res.Missed != 0 {
		t.Fatalf("published %d expected %d delivered %d", res.Published, res.Expected, res.Delivered)
	}
}

func TestPublishSignature(t *testing.T) {
	h := startHub(t)
	for _, c := range []struct {
		secret string
		ok     bool
	}{{"app-secret", true}, {"wrong", false}} {
		o := Options{URLs: []string{h.wsURL()}, AppSecret: c.secret, Publishers: 1}
		if err := o.fill(); err != nil {
			t.Fatal(err)
		}
		p := newPublisher(&o, []int{0})
		p.publishOne(context.Background(), 0)
		if got := p.ok.Load() == 1; got != c.ok {
			t.Fatalf("secret %q: accepted=%v, errors %v", c.secret, got, p.errs)
		}
		if !c.ok && p.errs["http 401"] != 1 {
			t.Fatalf("wrong secret: errors %v, want one 401", p.errs)
		}
	}
}

func TestChurn(t *testing.T) {
	h := startHub(t)
	res, err := Execute(testCtx(t), Options{Scenario: "churn", URLs: []string{h.wsURL()},
		Conns: 10, Workers: 1, Duration: 500 * time.Millisecond, Quiet: true}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	// Churn reuses source ports at once (reset on close); on a loaded
	// machine netpoll's dialer now and then reports a connect it lost
	// ("connection closed by peer") — counted, as it must be, but one
	// such dial in a few hundred is the harness's noise, not the server's.
	if res.Connects < 10 || res.Disconnects < 10 || res.Failed*100 > res.Connects {
		t.Fatalf("connects %d disconnects %d failed %d %v", res.Connects, res.Disconnects, res.Failed, res.Failures)
	}
	if res.Failed > 0 {
		t.Logf("%d of %d churn dials failed: %v", res.Failed, res.Connects, res.Failures)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb strings.Builder
	if code := Run(context.Background(), []string{"nope"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := Run(context.Background(), []string{"connect", "--url", "tcp://x"}, &out, &errb); code != 2 {
		t.Fatalf("bad url: exit %d", code)
	}
}

func TestReportMerges(t *testing.T) {
	dir := t.TempDir()
	a := Result{Label: "a", Scenario: "fanout", Conns: 10, Latency: &LatencySummary{P50: 1, P90: 2, P99: 3, P999: 4, Max: 5},
		Measures: []RSSMeasure{{N: 5, RSS: 1000}, {N: 10, RSS: 2000}}}
	a.slope()
	if a.SlopePerConn != 200 {
		t.Fatalf("slope %f", a.SlopePerConn)
	}
	b := Result{Label: "b", Scenario: "connect", Conns: 10, BytesPerConn: 300}
	for _, r := range []Result{a, b} { // the inputs; their charts are not read
		if err := writeText(filepath.Join(dir, r.Label), []Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb strings.Builder
	in := filepath.Join(dir, "a", "results.json") + "," + filepath.Join(dir, "b", "results.json")
	if code := runReport([]string{"--in", in, "--out", filepath.Join(dir, "m")}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	rs, err := readResults(filepath.Join(dir, "m", "results.json"))
	if err != nil || len(rs) != 2 || rs[0].Label != "a" || rs[1].Label != "b" {
		t.Fatalf("merged %+v %v", rs, err)
	}
	if !strings.Contains(out.String(), "| a |") || !strings.Contains(out.String(), "200 B (5→10)") {
		t.Fatalf("table:\n%s", out.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "m", "chart.png")); err != nil || st.Size() < 1000 {
		t.Fatalf("chart: %v", err)
	}
	// Runs with only latency, or nothing to draw, still chart.
	for _, rs := range [][]Result{{{Label: "x", Latency: a.Latency}}, {{Label: "y"}}} {
		if err := writeOut(filepath.Join(dir, "only-"+rs[0].Label), rs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPromAndProc(t *testing.T) {
	v, err := promValue([]byte("# HELP x\nprocess_resident_memory_bytes 1.2345e+07\n"), "process_resident_memory_bytes")
	if err != nil || v != 12345000 {
		t.Fatalf("prom %d %v", v, err)
	}
	if v, ok := kbLine([]byte("Name:\tx\nVmRSS:\t   1024 kB\n"), "VmRSS:"); !ok || v != 1<<20 {
		t.Fatalf("kb %d %v", v, ok)
	}
	if v, err := pidRSS(os.Getpid()); err != nil || v <= 0 {
		t.Fatalf("own rss %d %v", v, err)
	}
}

func TestShareCoversAll(t *testing.T) {
	for _, n := range []int{0, 1, 7, 200, 18001} {
		for _, w := range []int{1, 2, 3} {
			sum := 0
			for i := range w {
				sum += share(n, i, w)
			}
			if sum != n {
				t.Fatalf("share(%d, *, %d) sums to %d", n, w, sum)
			}
		}
	}
	subs := subscribersPerChannel(10, 3, nil)
	if subs[0] != 4 || subs[1] != 3 || subs[2] != 3 {
		t.Fatalf("subs %v", subs)
	}
}

func TestReadProcCost(t *testing.T) {
	a, err := readProcCost(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU and make writes until both counters move.
	f, err := os.Create(filepath.Join(t.TempDir(), "w"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for i := range 100 {
			f.Write([]byte{byte(i)})
		}
		b, err := readProcCost(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if d := b.sub(a); d.cpuTicks > 0 && d.writes >= 100 {
			return
		}
	}
	t.Fatal("utime+stime or syscw did not move")
}
