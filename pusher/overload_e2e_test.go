package pusher_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws/wsutil"
)

// Overload tests: a real node, real sockets, far more work offered than
// two shared cores can deliver. The node must stay responsive (a new
// connection is established and an event on another channel is delivered,
// each within probeBound, every probe round) and leave nothing stuck.
// probeBound tells a stalled node (which never answers) from a slow one;
// it is wide because the shared test machines run other jobs' builds
// beside these tests, and the times each round took are logged.

const (
	probeBound    = 10 * time.Second
	probeInterval = 2 * time.Second
)

// overloadApp is an app with client events on, in optional auth mode.
func overloadApp() config.App {
	a := config.DefaultApp()
	a.ID, a.Key, a.Secret = "overload", "overload-key", "overload-secret"
	a.ClientEvents = true
	a.Auth.Mode = config.AuthOptional
	return a
}

// apiClient bounds every HTTP API call of these tests: a frozen node must
// fail the test, not hang it.
var apiClient = &http.Client{Timeout: 10 * time.Second}

// publish sends one event through the signed HTTP API; it returns the
// status and the Retry-After header.
func publish(t testing.TB, n *fantest.Node, a config.App, channel, event, data string) (int, string, error) {
	body, _ := json.Marshal(map[string]any{"name": event, "channel": channel, "data": data})
	path := "/apps/" + a.ID + "/events"
	q := auth.SignRequest("POST", path, nil, body, a.Key, a.Secret, time.Now())
	req, _ := http.NewRequest("POST", n.HTTPBase()+path+"?"+q.Encode(), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			t.Errorf("503 without a JSON error body: %q", b)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// prober checks, round after round, that a new connection is
// established and that an event published to the watch channel reaches
// its one subscriber, each within probeBound.
type prober struct {
	t     *testing.T
	n     *fantest.Node
	app   config.App
	watch *fantest.Client
	round int
}

func newProber(t *testing.T, n *fantest.Node, a config.App) *prober {
	w := fantest.Dial(t, n.URL(a.Key), nil)
	w.Subscribe("watch")
	return &prober{t: t, n: n, app: a, watch: w}
}

func (p *prober) probe(phase string) {
	t := p.t
	p.round++
	start := time.Now()
	c, err := fantest.DialErr(t, p.n.URL(p.app.Key), nil)
	if err == nil {
		var ev fantest.Event
		ev, err = c.NextErr(probeBound)
		if err == nil && ev.Event != "pusher:connection_established" {
			err = fmt.Errorf("first event %q", ev.Event)
		}
		c.Conn.Close()
	}
	connected := time.Since(start)
	if err != nil || connected > probeBound {
		t.Errorf("%s, round %d: new connection: %v after %v", phase, p.round, err, connected)
	}
	start = time.Now()
	want := fmt.Sprint(p.round)
	code, _, err := publish(t, p.n, p.app, "watch", "probe", want)
	if err != nil || code != http.StatusOK {
		t.Errorf("%s, round %d: publish to the watch channel: %d %v", phase, p.round, code, err)
		return
	}
	for {
		ev, err := p.watch.NextErr(probeBound - time.Since(start))
		if err != nil {
			t.Errorf("%s, round %d: watch event not delivered within %v: %v", phase, p.round, probeBound, err)
			return
		}
		if ev.Event == "probe" && ev.DataString() == want {
			break
		}
	}
	took := time.Since(start)
	if took > probeBound {
		t.Errorf("%s, round %d: watch event delivered after %v", phase, p.round, took)
	}
	t.Logf("%s, round %d: connected in %v, watch event in %v", phase, p.round, connected.Round(time.Millisecond), took.Round(time.Millisecond))
}

// probeUntil probes every probeInterval until done is closed, then
// twice more (the node must have recovered, not only survived).
func (p *prober) probeUntil(done <-chan struct{}) {
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		p.probe("during the load")
		select {
		case <-done:
			for range 2 {
				<-tick.C
				p.probe("after the load")
			}
			return
		case <-tick.C:
		}
	}
}

// dialMany connects n clients in parallel and runs setup on each.
func dialMany(t *testing.T, url string, n int, setup func(i int, c *fantest.Client) error) []*fantest.Client {
	t.Helper()
	cs := make([]*fantest.Client, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				c, err := fantest.DialErr(t, url, nil)
				if err == nil {
					cs[i] = c
					err = setup(i, c)
				}
				if err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return cs
}

// expect reads until event name arrives, within d.
func expect(c *fantest.Client, name string, d time.Duration) (fantest.Event, error) {
	deadline := time.Now().Add(d)
	for {
		ev, err := c.NextErr(time.Until(deadline))
		if err != nil {
			return ev, err
		}
		if ev.Event == name {
			return ev, nil
		}
	}
}

// socketID reads connection_established.
func socketID(c *fantest.Client) (string, error) {
	ev, err := expect(c, "pusher:connection_established", 30*time.Second)
	if err != nil {
		return "", err
	}
	var d struct {
		SocketID string `json:"socket_id"`
	}
	err = json.Unmarshal([]byte(ev.DataString()), &d)
	return d.SocketID, err
}

// waitGoroutines waits (bounded) until the process is back to at most
// idle goroutines, and fails with a dump if it is not.
func waitGoroutines(t *testing.T, idle int) {
	t.Helper()
	apiClient.CloseIdleConnections()
	g := runtime.NumGoroutine()
	for deadline := time.Now().Add(30 * time.Second); g > idle && time.Now().Before(deadline); g = runtime.NumGoroutine() {
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // polling an outcome, bounded by the deadline
	}
	if g > idle {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the load, %d before it\n%s", g, idle, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("goroutines back to %d (idle count %d)", g, idle)
}

// TestClientEventStormStaysResponsive: 1,500 subscribers of one private
// channel, 100 of them sending client events at 4/s each for 10 s
// (600,000 deliveries/s offered). Events the node cannot take are refused
// to their sender; the node never stalls.
func TestClientEventStormStaysResponsive(t *testing.T) {
	if testing.Short() {
		t.Skip("overload test")
	}
	const (
		subscribers = 1500
		senders     = 100
		perSecond   = 4
		storm       = 10 * time.Second
		channel     = "private-storm"
	)
	a := overloadApp()
	n := startApps(t, a)
	p := newProber(t, n, a)
	p.probe("before the load")
	idle := runtime.NumGoroutine()

	cs := dialMany(t, n.URL(a.Key), subscribers, func(i int, c *fantest.Client) error {
		id, err := socketID(c)
		if err != nil {
			return err
		}
		sig := auth.SignChannel(a.Key, a.Secret, id, channel, "")
		c.Send("pusher:subscribe", map[string]string{"channel": channel, "auth": sig})
		_, err = expect(c, "pusher_internal:subscription_succeeded", 30*time.Second)
		return err
	})
	var readers sync.WaitGroup
	for _, c := range cs { // subscribers read and discard: the load is the server's
		readers.Add(1)
		go func() {
			defer readers.Done()
			_ = c.Conn.SetReadDeadline(time.Time{})
			_, _ = io.Copy(io.Discard, c.Conn)
		}()
	}
	done := make(chan struct{})
	var sending sync.WaitGroup
	data := strings.Repeat("x", 200)
	for i := range senders {
		sending.Add(1)
		go func() {
			defer sending.Done()
			msg, _ := json.Marshal(map[string]any{"event": "client-storm", "channel": channel, "data": data})
			tick := time.NewTicker(time.Second / perSecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					if wsutil.WriteClientText(cs[i].Conn, msg) != nil {
						return // closed by the node, with a code the reader discarded
					}
				}
			}
		}()
	}
	go func() { time.Sleep(storm); close(done) }() // the storm's length, not a wait for an outcome
	p.probeUntil(done)
	sending.Wait()
	for _, c := range cs {
		c.Conn.Close()
	}
	readers.Wait()
	waitGoroutines(t, idle)
}

// TestHTTPPublishFloodStaysResponsive: 20 HTTP API publishers as fast as
// they can to one channel of 2,000 subscribers. A publish is accepted
// (200) or refused (503 with Retry-After); every accepted event reaches,
// in order, every subscriber the node did not close with a reason code.
func TestHTTPPublishFloodStaysResponsive(t *testing.T) {
	if testing.Short() {
		t.Skip("overload test")
	}
	const (
		subscribers = 2000
		publishers  = 20
		flood       = 8 * time.Second
		channel     = "flood"
	)
	a := overloadApp()
	a.MaxQueuedBytes = 256 << 10 // 2,000 × 1 MiB would be the test's memory
	n := startApps(t, a)
	p := newProber(t, n, a)
	p.probe("before the load")
	idle := runtime.NumGoroutine()

	cs := dialMany(t, n.URL(a.Key), subscribers, func(i int, c *fantest.Client) error {
		if _, err := socketID(c); err != nil {
			return err
		}
		c.Send("pusher:subscribe", map[string]string{"channel": channel})
		_, err := expect(c, "pusher_internal:subscription_succeeded", 30*time.Second)
		return err
	})
	// Each subscriber records, per publisher, the sequence numbers it got.
	// got is read after the readers end; last (the latest sequence + 1)
	// and closedWith (the close code, 0 if none) meanwhile.
	got := make([][publishers][]int32, subscribers)
	last := make([][publishers]atomic.Int32, subscribers)
	closedWith := make([]atomic.Int32, subscribers)
	var readers sync.WaitGroup
	for i, c := range cs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			_ = c.Conn.SetReadDeadline(time.Time{})
			for {
				b, err := wsutil.ReadServerText(c.Conn)
				if err != nil {
					var ce wsutil.ClosedError
					if errors.As(err, &ce) {
						closedWith[i].Store(int32(ce.Code))
					}
					return
				}
				if pub, seq, ok := floodSeq(b); ok {
					got[i][pub] = append(got[i][pub], seq)
					last[i][pub].Store(seq + 1)
				}
			}
		}()
	}
	accepted := make([][]int32, publishers)
	var refused atomic.Int64
	done := make(chan struct{})
	var publishing sync.WaitGroup
	for pub := range publishers {
		publishing.Add(1)
		go func() {
			defer publishing.Done()
			for seq := int32(0); ; seq++ {
				select {
				case <-done:
					return
				default:
				}
				code, retry, err := publish(t, n, a, channel, "flood", fmt.Sprintf("%d-%d", pub, seq))
				switch {
				case err != nil:
					t.Errorf("publisher %d: %v", pub, err)
					return
				case code == http.StatusOK:
					accepted[pub] = append(accepted[pub], seq)
				case code == http.StatusServiceUnavailable && retry != "":
					refused.Add(1)
				default:
					t.Errorf("publisher %d: status %d, Retry-After %q", pub, code, retry)
					return
				}
			}
		}()
	}
	go func() { time.Sleep(flood); close(done) }() // the flood's length, not a wait for an outcome
	p.probeUntil(done)
	publishing.Wait()
	total := 0
	for pub := range publishers {
		total += len(accepted[pub])
	}
	t.Logf("%d events accepted, %d refused with 503", total, refused.Load())
	if total == 0 {
		t.Fatal("no event accepted")
	}
	// Wait (bounded) until every subscriber has its last accepted event
	// of every publisher, or was closed.
	complete := func(i int) bool {
		if closedWith[i].Load() != 0 {
			return true
		}
		for pub := range publishers {
			if k := len(accepted[pub]); k > 0 && last[i][pub].Load() < accepted[pub][k-1]+1 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	for i, c := range cs {
		for !complete(i) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // polling an outcome, bounded by the deadline
		}
		_ = c.Conn.SetReadDeadline(time.Now()) // ends its reader
	}
	readers.Wait()
	survivors := 0
	for i := range cs {
		if closedWith[i].Load() != 0 {
			continue
		}
		survivors++
		for pub := range publishers {
			if !equalSeqs(got[i][pub], accepted[pub]) {
				t.Fatalf("subscriber %d, publisher %d: got %d events %v…, want the %d accepted %v…",
					i, pub, len(got[i][pub]), head(got[i][pub]), len(accepted[pub]), head(accepted[pub]))
			}
		}
	}
	t.Logf("%d of %d subscribers got every accepted event in order; the rest were closed with a code", survivors, subscribers)
	if survivors == 0 {
		t.Fatal("every subscriber was closed")
	}
	for _, c := range cs {
		c.Conn.Close()
	}
	waitGoroutines(t, idle)
}

func equalSeqs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func head(s []int32) []int32 { return s[:min(len(s), 10)] }

// floodSeq reads publisher and sequence number out of a flood event,
// {"event":"flood","channel":"flood","data":"\"P-S\""}, without a JSON
// decoder: 2,000 readers share the test's CPU with the node.
func floodSeq(b []byte) (pub, seq int32, ok bool) {
	s := string(b)
	if !strings.Contains(s, `"event":"flood"`) {
		return 0, 0, false
	}
	i := strings.Index(s, `"data":"`)
	if i < 0 {
		return 0, 0, false
	}
	s = strings.TrimLeft(s[i+len(`"data":"`):], `\"`)
	p, rest, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	q, err1 := strconv.Atoi(p)
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		return 0, 0, false
	}
	n, err2 := strconv.Atoi(rest[:end])
	return int32(q), int32(n), err1 == nil && err2 == nil
}

// TestDroppedEventClosesItsChannelSubscribers: when a broker reports an
// event it had to drop for want of room on this node (the Redis broker's
// backlog full), every local subscriber of that channel is closed with
// 4100 and a pusher:error first, so none of them goes on with a gap it
// cannot see; subscribers of other channels are untouched.
func TestDroppedEventClosesItsChannelSubscribers(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	app := n.Cfg.Apps[0]
	hit := []*fantest.Client{fantest.Dial(t, n.URL(app.Key), nil), fantest.Dial(t, n.URL(app.Key), nil)}
	for _, c := range hit {
		c.Subscribe("hit")
	}
	spared := fantest.Dial(t, n.URL(app.Key), nil)
	spared.Subscribe("spared")

	n.Pusher.Dropped(broker.Publication{App: app.ID, Channel: "hit", Event: "e", Data: "lost"})

	for i, c := range hit {
		ev := c.Expect("pusher:error")
		var d struct{ Code int }
		if err := json.Unmarshal([]byte(ev.DataString()), &d); err != nil || d.Code != 4100 {
			t.Fatalf("subscriber %d: pusher:error %s, want code 4100", i, ev.Data)
		}
		if code, err := c.CloseCode(10 * time.Second); err != nil || code != 4100 {
			t.Fatalf("subscriber %d: close %d %v, want 4100", i, code, err)
		}
	}
	if st, body := n.Publish(t, app, "spared", "e", "still here"); st != http.StatusOK {
		t.Fatalf("publish to the other channel: %d %s", st, body)
	}
	if ev := spared.Expect("e"); ev.DataString() != "still here" {
		t.Fatalf("the other channel's subscriber got %q", ev.DataString())
	}
}
