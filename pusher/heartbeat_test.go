package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/session"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// These tests drive the heartbeat wheels with a fake clock: the ticker is
// not started, every deadline passes only when the test calls advance, so
// each one is proven at its exact instant (one wheel tick of precision)
// without waiting for it.

// fakeClock is a clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// set moves the clock to t.
func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// hbServer is a pusher.Server on a real loopback socket whose wheels only
// move when the test advances the fake clock.
type hbServer struct {
	*Server
	clock *fakeClock
	start time.Time
}

func startFakeClockServer(t *testing.T, o Options) *hbServer {
	t.Helper()
	clock := newFakeClock()
	o.Now = clock.Now
	s := newTestServer(t, o, false) // no ticker: time is ours
	return &hbServer{Server: s, clock: clock, start: clock.Now()}
}

// moveTo sets the fake clock to start+d and runs every wheel to it.
func (h *hbServer) moveTo(d time.Duration) {
	now := h.start.Add(d)
	h.clock.set(now)
	h.advance(now)
}

func (h *hbServer) url(key string) string {
	return "ws://" + h.Addr().String() + "/app/" + key + "?protocol=7&client=test&version=1"
}

// waitFor polls cond (state the loops update asynchronously) for up to
// 10 s; it bounds a wait, it does not measure anything.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// onlyConn returns the server's single open connection.
func (h *hbServer) onlyConn(t *testing.T) *conn {
	t.Helper()
	var cs []*conn
	waitFor(t, "one open connection", func() bool { cs = h.allConns(); return len(cs) == 1 })
	return cs[0]
}

// wsClient is a minimal Pusher client on a real socket.
type wsClient struct {
	t    *testing.T
	conn net.Conn
}

// readerConn reads what the dialer buffered before the socket.
type readerConn struct {
	net.Conn
	r io.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

type wireEvent struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

func dialWS(t *testing.T, url string, header http.Header) *wsClient {
	t.Helper()
	return dialWSWith(t, url, header, nil)
}

// dialWSWith dials through netDial (nil means the default dialer).
func dialWSWith(t *testing.T, url string, header http.Header, netDial func(ctx context.Context, network, addr string) (net.Conn, error)) *wsClient {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second, NetDial: netDial}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if br != nil { // connection_established may arrive with the 101
		conn = &readerConn{Conn: conn, r: io.MultiReader(br, conn)}
	}
	c := &wsClient{t: t, conn: conn}
	if ev := c.next(); ev.Event != "pusher:connection_established" {
		t.Fatalf("first event %q", ev.Event)
	}
	return c
}

// read returns the next event, or the close frame as wsutil.ClosedError.
func (c *wsClient) read(timeout time.Duration) (wireEvent, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	b, err := wsutil.ReadServerText(c.conn)
	if err != nil {
		return wireEvent{}, err
	}
	var ev wireEvent
	err = json.Unmarshal(b, &ev)
	return ev, err
}

func (c *wsClient) next() wireEvent {
	c.t.Helper()
	ev, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return ev
}

func (c *wsClient) send(event string, data any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"event": event, "data": data})
	if err := wsutil.WriteClientText(c.conn, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// closeCode reads past events (collecting their names) until the server's
// close frame and returns its code.
func (c *wsClient) closeCode() (int, []string) {
	c.t.Helper()
	var names []string
	for {
		ev, err := c.read(10 * time.Second)
		var ce wsutil.ClosedError
		switch {
		case errors.As(err, &ce):
			return int(ce.Code), names
		case err != nil:
			c.t.Fatalf("read before close frame: %v (events %v)", err, names)
		}
		names = append(names, ev.Event)
	}
}

// closeCodeNoReply reads raw frames until the server's close frame and,
// unlike closeCode, does not answer it: a peer that went deaf.
func (c *wsClient) closeCodeNoReply() int {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(c.conn)
		if err != nil {
			c.t.Fatalf("read before close frame: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			return int(code)
		}
	}
}

func TestHeartbeatPingsAfterSilenceThenClosesWith4201(t *testing.T) {
	h := startFakeClockServer(t, Options{ActivityTimeout: 10 * time.Second, PongTimeout: 5 * time.Second})
	cl := dialWS(t, h.url("app-key"), nil)
	c := h.onlyConn(t)

	h.moveTo(9750 * time.Millisecond)
	if c.pingSent.Load() != 0 {
		t.Fatal("pinged before activity_timeout passed")
	}
	h.moveTo(10 * time.Second)
	if ev := cl.next(); ev.Event != "pusher:ping" {
		t.Fatalf("after activity_timeout got %q, want pusher:ping", ev.Event)
	}
	h.moveTo(14750 * time.Millisecond)
	if c.state.Phase() != session.Open {
		t.Fatal("closed before pong_timeout passed")
	}
	h.moveTo(15 * time.Second)
	code, events := cl.closeCode()
	if code != 4201 {
		t.Fatalf("close code %d, want 4201", code)
	}
	if len(events) != 1 || events[0] != "pusher:error" {
		t.Fatalf("events before the close frame %v, want one pusher:error", events)
	}
	if cause, code := c.state.Ending(); cause != session.PongTimeout || cause.By() != session.Deadline || code != 4201 {
		t.Errorf("closed by %v (%v) with %d, want the deadline (pong_timeout) with 4201", cause.By(), cause, code)
	}
}

func TestHeartbeatAnsweredPingKeepsConnectionOpen(t *testing.T) {
	h := startFakeClockServer(t, Options{ActivityTimeout: 10 * time.Second, PongTimeout: 5 * time.Second})
	cl := dialWS(t, h.url("app-key"), nil)
	c := h.onlyConn(t)

	h.moveTo(10 * time.Second)
	if ev := cl.next(); ev.Event != "pusher:ping" {
		t.Fatalf("got %q, want pusher:ping", ev.Event)
	}
	h.moveTo(12 * time.Second)
	cl.send("pusher:pong", map[string]string{})
	// A round trip while the clock stands at 12 s makes sure the whole
	// pong was read then: a frame split over two reads would otherwise be
	// stamped at the next clock value.
	cl.send("pusher:ping", map[string]string{})
	if ev := cl.next(); ev.Event != "pusher:pong" {
		t.Fatalf("got %q, want pusher:pong", ev.Event)
	}
	h.moveTo(15 * time.Second) // the pong deadline of the first ping
	if c.state.Phase() != session.Open {
		t.Fatal("closed although the ping was answered")
	}
	// The next ping comes activity_timeout after the pong, at 22 s.
	h.moveTo(21750 * time.Millisecond)
	if p := c.pingSent.Load(); p != 0 {
		t.Fatalf("second ping sent early, at %v", time.Unix(0, p).Sub(h.start))
	}
	h.moveTo(22 * time.Second)
	if ev := cl.next(); ev.Event != "pusher:ping" {
		t.Fatalf("got %q, want the second pusher:ping", ev.Event)
	}
}

func TestHeartbeatAnyClientFrameDefersThePing(t *testing.T) {
	h := startFakeClockServer(t, Options{ActivityTimeout: 10 * time.Second, PongTimeout: 5 * time.Second})
	cl := dialWS(t, h.url("app-key"), nil)
	c := h.onlyConn(t)

	h.moveTo(8 * time.Second)
	cl.send("pusher:subscribe", map[string]string{"channel": "news"})
	if ev := cl.next(); ev.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("got %q", ev.Event)
	}
	h.moveTo(17750 * time.Millisecond)
	if c.pingSent.Load() != 0 {
		t.Fatal("pinged although the client spoke 9.75 s ago")
	}
	h.moveTo(18 * time.Second)
	if ev := cl.next(); ev.Event != "pusher:ping" {
		t.Fatalf("got %q, want pusher:ping", ev.Event)
	}
}

func TestUpgradeDeadlineAbortsSilentSocket(t *testing.T) {
	h := startFakeClockServer(t, Options{UpgradeTimeout: 5 * time.Second})
	nc, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitFor(t, "the socket to be accepted", func() bool { return h.poller.Conns() == 1 })
	h.moveTo(4750 * time.Millisecond)
	if h.poller.Conns() != 1 {
		t.Fatal("socket dropped before the upgrade deadline")
	}
	h.moveTo(5 * time.Second)
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a socket that should be gone", n)
	} else if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatal("socket still open after the upgrade deadline")
	}
	waitFor(t, "the server to forget the socket", func() bool { return h.poller.Conns() == 0 })
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestSigninGraceClosesWith4009(t *testing.T) {
	app := &App{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthRequired, SigninTimeout: 30 * time.Second}
	h := startFakeClockServer(t, Options{Apps: []*App{app}})
	cl := dialWS(t, h.url("app-key"), nil)
	c := h.onlyConn(t)

	h.moveTo(29750 * time.Millisecond)
	if c.state.Phase() != session.Open {
		t.Fatal("closed before the signin grace ended")
	}
	h.moveTo(30 * time.Second)
	if code, _ := cl.closeCode(); code != 4009 {
		t.Fatalf("close code %d, want 4009", code)
	}
	if cause, _ := c.state.Ending(); cause != session.AuthExpiry {
		t.Errorf("closed for %v, want auth_expiry", cause)
	}
}

func TestSigninWithinGraceKeepsConnection(t *testing.T) {
	app := &App{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthRequired, SigninTimeout: 30 * time.Second}
	h := startFakeClockServer(t, Options{Apps: []*App{app}})
	cl := dialWS(t, h.url("app-key"), nil)
	c := h.onlyConn(t)

	h.moveTo(10 * time.Second)
	userData := `{"id":"u1"}`
	cl.send("pusher:signin", map[string]string{"user_data": userData,
		"auth": auth.SignUser(app.Key, app.Secret, c.socketID(), userData)})
	if ev := cl.next(); ev.Event != "pusher:signin_success" {
		t.Fatalf("got %q, want pusher:signin_success", ev.Event)
	}
	h.moveTo(30 * time.Second)
	if c.state.Phase() != session.Open {
		t.Fatal("signed-in connection closed at the end of the grace")
	}
}

func TestTokenExpiryClosesWith4009(t *testing.T) {
	app := &App{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthRequired}
	h := startFakeClockServer(t, Options{Apps: []*App{app}})
	token, err := auth.Mint(app.Secret, auth.MintOptions{Subject: "u1", TTL: 20 * time.Second, Now: h.start})
	if err != nil {
		t.Fatal(err)
	}
	cl := dialWS(t, h.url("app-key"), http.Header{"Authorization": {"Bearer " + token}})
	c := h.onlyConn(t)
	if c.authUntil.Load() == 0 { // atomic: the loop set it from the token's exp
		t.Fatal("token not accepted")
	}
	h.moveTo(19750 * time.Millisecond)
	if c.state.Phase() != session.Open {
		t.Fatal("closed before the token expired")
	}
	h.moveTo(20 * time.Second)
	if code, _ := cl.closeCode(); code != 4009 {
		t.Fatalf("close code %d, want 4009", code)
	}
}

func TestCloseHandshakeDeadlineAbortsPeerThatNeverAnswers(t *testing.T) {
	app := &App{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthRequired, SigninTimeout: 10 * time.Second}
	h := startFakeClockServer(t, Options{Apps: []*App{app}, CloseTimeout: 5 * time.Second})
	cl := dialWS(t, h.url("app-key"), nil)
	h.onlyConn(t)
	h.moveTo(10 * time.Second) // 4009: the client reads it but never answers
	if code := cl.closeCodeNoReply(); code != 4009 {
		t.Fatalf("close code %d, want 4009", code)
	}
	h.moveTo(14750 * time.Millisecond)
	if h.poller.Conns() != 1 {
		t.Fatal("socket aborted before the close deadline")
	}
	h.moveTo(15 * time.Second)
	waitFor(t, "the unanswered close to be aborted", func() bool { return h.poller.Conns() == 0 })
}

func TestPongTimeoutReapsDeafPeerAtOnce(t *testing.T) {
	h := startFakeClockServer(t, Options{ActivityTimeout: 10 * time.Second, PongTimeout: 5 * time.Second,
		CloseTimeout: 30 * time.Second})
	nc := dialWS(t, h.url("app-key"), nil).conn
	h.onlyConn(t)
	h.moveTo(10 * time.Second) // ping, unanswered
	h.moveTo(14750 * time.Millisecond)
	if h.poller.Conns() != 1 {
		t.Fatal("socket dropped before pong_timeout passed")
	}
	h.moveTo(15 * time.Second) // 4201, and no CloseTimeout wait: the peer is deaf
	waitFor(t, "the deaf peer to be aborted", func() bool { return h.poller.Conns() == 0 })
	// What the peer would have read, had it listened: ping, error, close
	// 4201, end of stream.
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []string
	for {
		f, err := ws.ReadFrame(nc)
		if err != nil {
			break
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			got = append(got, "close "+strconv.Itoa(int(code)))
			continue
		}
		var ev wireEvent
		_ = json.Unmarshal(f.Payload, &ev)
		got = append(got, ev.Event)
	}
	want := "[pusher:ping pusher:error close 4201]"
	if fmt.Sprint(got) != want {
		t.Fatalf("peer's stream %v, want %s", got, want)
	}
}

// closeRecorder is an Observer that notes each connection's close code.
type closeRecorder struct {
	nopObserver
	codes chan int
}

func (r closeRecorder) ConnClosed(_ string, code int) { r.codes <- code }

// TestZombieOnRealSocketIsReapedWith4201 runs the real ticker and a real
// client that subscribes and then neither reads nor writes: the server
// pings it, closes it with 4201 and lets its descriptor go.
func TestZombieOnRealSocketIsReapedWith4201(t *testing.T) {
	rec := closeRecorder{codes: make(chan int, 4)}
	s, err := New(Options{ActivityTimeout: time.Second, PongTimeout: time.Second, Metrics: rec,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Apps:   []*App{{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthOff}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.Serve()
	t.Cleanup(s.Close)
	cl := dialWS(t, "ws://"+s.Addr().String()+"/app/app-key?protocol=7", nil)
	cl.send("pusher:subscribe", map[string]string{"channel": "news"})
	if ev := cl.next(); ev.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("got %q", ev.Event)
	}
	silent := time.Now() // from here the client is a zombie
	var code int
	select {
	case code = <-rec.codes:
	case <-time.After(30 * time.Second):
		t.Fatal("zombie connection never reaped")
	}
	t.Logf("zombie reaped %v after its last frame (activity_timeout 1s + pong_timeout 1s)", time.Since(silent).Round(10*time.Millisecond))
	if code != 4201 {
		t.Fatalf("close code %d, want 4201", code)
	}
	if s.Conns() != 0 || s.poller.Conns() != 0 {
		t.Fatalf("still holding %d connections, %d sockets", s.Conns(), s.poller.Conns())
	}
	if code := cl.closeCodeNoReply(); code != 4201 {
		t.Fatalf("the zombie's socket holds close %d, want 4201", code)
	}
}
