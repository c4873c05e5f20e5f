package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
)

// sseApp is an app with history on "orders-*", an origin allow-list and
// the given auth mode.
func sseApp(mode AuthMode) *App {
	return &App{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: mode,
		Origins: auth.OriginPolicy{Allowed: []string{"https://allowed.example"}},
		History: []HistoryRule{{Pattern: "orders-*", Size: 100, TTL: time.Minute}}}
}

func sseServer(t *testing.T, apps ...*App) *Server {
	return startRealServer(t, Options{Apps: apps})
}

func tokenFor(t testing.TB, sub string, channels ...string) string {
	t.Helper()
	tok, err := auth.Mint("app-secret", auth.MintOptions{Subject: sub, Channels: channels})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSSEStreamsPublishedEvents(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	addr := s.Addr().String()
	// Names with commas: the parameter repeats rather than being split.
	c := dialSSE(t, addr, ssePath("app-key", "", "a,b", "news"), nil)
	if c.resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", c.resp.StatusCode, c.body)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache"} {
		if got := c.resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	waitSubscribers(t, s, "news", 1)
	publish(t, s, "app-id", "a,b", "greeting", "line one\nline \"two\"")
	publish(t, s, "app-id", "news", "headline", `{"x":1}`)
	// Order holds within a channel, not across two: the delivery engine
	// queues each channel on its own, so either event may come first.
	got := map[string]sseEvent{}
	for range 2 {
		ev := c.next(5 * time.Second)
		got[ev.Event] = ev
	}
	ev := got["greeting"]
	if ev.ID != "" {
		t.Fatalf("greeting %+v, all %+v", ev, got)
	}
	// The data member is the published string, as on a WebSocket frame.
	if want := `{"channel":"a,b","data":"line one\nline \"two\""}`; ev.Data != want {
		t.Fatalf("data line %q, want %q", ev.Data, want)
	}
	ev = got["headline"]
	if ch, d := ev.payload(t); ch != "news" || d != `{"x":1}` {
		t.Fatalf("headline %+v, all %+v", ev, got)
	}
}

func TestSSERefusals(t *testing.T) {
	app := sseApp(AuthRequired)
	app.MaxChannels = 2
	s := sseServer(t, app)
	addr := s.Addr().String()
	good := tokenFor(t, "alice", "private-alice-*", "presence-room")
	expired, err := auth.Mint("app-secret", auth.MintOptions{Subject: "alice", Now: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cases := []struct {
		name   string
		path   string
		header map[string]string
		status int
	}{
		{"unknown key", ssePath("nope", "", "news"), bearer(good), 404},
		{"no token, auth required", ssePath("app-key", "", "news"), nil, 401},
		{"bad token", ssePath("app-key", "", "news"), bearer(good + "x"), 401},
		{"expired token", ssePath("app-key", "", "news"), bearer(expired), 401},
		{"disallowed origin", ssePath("app-key", "", "news"), map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer " + good}, 403},
		{"private not granted", ssePath("app-key", "", "private-bob-inbox"), bearer(good), 403},
		{"no channel", ssePath("app-key", ""), bearer(good), 400},
		{"bad channel name", ssePath("app-key", "", "bad name!"), bearer(good), 400},
		{"too many channels", ssePath("app-key", "", "a", "b", "c"), bearer(good), 400},
		{"same channel twice", ssePath("app-key", "", "a", "a"), bearer(good), 400},
		{"granted private by bearer", ssePath("app-key", "", "private-alice-inbox"), bearer(good), 200},
		{"token in query", ssePath("app-key", "token="+good, "private-alice-inbox"), nil, 200},
		{"token in cookie", ssePath("app-key", "", "private-alice-inbox", "presence-room"), map[string]string{"Cookie": "a=b; fanout_token=" + good}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialSSE(t, addr, tc.path, tc.header)
			if c.resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", c.resp.StatusCode, tc.status, c.body)
			}
			if tc.status == 200 {
				return
			}
			var body struct{ Error string }
			if err := json.Unmarshal(c.body, &body); err != nil || body.Error == "" {
				t.Fatalf("body %q is not {\"error\": ...}", c.body)
			}
			if ct := c.resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

func TestSSEPublicChannelsFollowAuthMode(t *testing.T) {
	s := sseServer(t, sseApp(AuthOptional))
	c := dialSSE(t, s.Addr().String(), ssePath("app-key", "", "news"), nil)
	if c.resp.StatusCode != 200 {
		t.Fatalf("optional mode, public channel, no token: %d %s", c.resp.StatusCode, c.body)
	}
	c = dialSSE(t, s.Addr().String(), ssePath("app-key", "", "private-x"), nil)
	if c.resp.StatusCode != 401 {
		t.Fatalf("private channel without token: %d, want 401", c.resp.StatusCode)
	}
}

func TestSSECORSHeaders(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	c := dialSSE(t, s.Addr().String(), ssePath("app-key", "", "news"), map[string]string{"Origin": "https://allowed.example"})
	h := c.resp.Header
	if c.resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != "https://allowed.example" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Vary") != "Origin" {
		t.Fatalf("status %d, headers %v", c.resp.StatusCode, h)
	}
	// A refusal after the origin passed carries them too, so a page can
	// read why.
	c = dialSSE(t, s.Addr().String(), ssePath("app-key", ""), map[string]string{"Origin": "https://allowed.example"})
	if c.resp.StatusCode != 400 || c.resp.Header.Get("Access-Control-Allow-Origin") != "https://allowed.example" {
		t.Fatalf("refusal: status %d, headers %v", c.resp.StatusCode, c.resp.Header)
	}
	c = dialSSE(t, s.Addr().String(), ssePath("app-key", "", "news"), map[string]string{"Origin": "https://evil.example"})
	if c.resp.StatusCode != 403 || c.resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed origin: status %d, headers %v", c.resp.StatusCode, c.resp.Header)
	}
}

func TestSSEHistoryIDsAndResume(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	addr := s.Addr().String()
	c := dialSSE(t, addr, ssePath("app-key", "", "orders-1"), nil)
	waitSubscribers(t, s, "orders-1", 1)
	var ids []string
	for i, d := range []string{"one", "two", "three"} {
		publish(t, s, "app-id", "orders-1", "order", d)
		ev := c.next(5 * time.Second)
		if _, got := ev.payload(t); got != d || ev.ID == "" {
			t.Fatalf("event %d: %+v", i, ev)
		}
		ids = append(ids, ev.ID)
	}
	c.conn.Close()
	waitSubscribers(t, s, "orders-1", 0)
	publish(t, s, "app-id", "orders-1", "order", "four") // while away

	// Resume after "one": two, three, four from history, then live, once each.
	r := dialSSE(t, addr, ssePath("app-key", "", "orders-1"), map[string]string{"Last-Event-ID": ids[0]})
	waitSubscribers(t, s, "orders-1", 1)
	publish(t, s, "app-id", "orders-1", "order", "five")
	var got []string
	for range 4 {
		ev := r.next(5 * time.Second)
		_, d := ev.payload(t)
		got = append(got, d)
	}
	if strings.Join(got, ",") != "two,three,four,five" {
		t.Fatalf("resumed stream %v", got)
	}
	// The query parameter works too; a position of another epoch cannot
	// be proven complete: the stream says so, then goes live.
	r.conn.Close()
	waitSubscribers(t, s, "orders-1", 0)
	q := dialSSE(t, addr, ssePath("app-key", "last_event_id=nope:1", "orders-1"), nil)
	ev := q.next(5 * time.Second)
	first, _ := broker.ParsePosition(ids[0])
	current := broker.Position{Epoch: first.Epoch, Offset: first.Offset + 4}
	if ev.Event != "fanout:recovery_failed" || ev.ID != current.String() {
		t.Fatalf("failed recovery: %+v (ids %v)", ev, ids)
	}
	publish(t, s, "app-id", "orders-1", "order", "six")
	if _, d := q.next(5 * time.Second).payload(t); d != "six" {
		t.Fatalf("after a failed recovery got %q", d)
	}
}

func TestSSESeveralHistoryChannelsTagIDs(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	addr := s.Addr().String()
	c := dialSSE(t, addr, ssePath("app-key", "", "orders-a", "orders-b"), nil)
	waitSubscribers(t, s, "orders-b", 1)
	publish(t, s, "app-id", "orders-a", "order", "a1")
	ev := c.next(5 * time.Second)
	if !strings.HasSuffix(ev.ID, " orders-a") {
		t.Fatalf("id %q does not name its channel", ev.ID)
	}
	c.conn.Close()
	publish(t, s, "app-id", "orders-a", "order", "a2")
	r := dialSSE(t, addr, ssePath("app-key", "", "orders-a", "orders-b"), map[string]string{"Last-Event-ID": ev.ID})
	if _, d := r.next(5 * time.Second).payload(t); d != "a2" {
		t.Fatalf("resumed with %q", d)
	}
	// An id that names none of the stream's channels, or has the shape of
	// a one-channel stream's, proves nothing: every channel with history
	// says its recovery failed, none goes live silently.
	for _, id := range []string{first(ev.ID) + " orders-zzz", first(ev.ID), first(ev.ID) + " plain"} {
		q := dialSSE(t, addr, ssePath("app-key", "", "orders-a", "orders-b", "plain"), map[string]string{"Last-Event-ID": id})
		failed := map[string]bool{}
		for range 2 {
			e := q.next(5 * time.Second)
			if e.Event != "fanout:recovery_failed" {
				t.Fatalf("id %q: %+v, want fanout:recovery_failed", id, e)
			}
			failed[e.ID[strings.IndexByte(e.ID, ' ')+1:]] = true
		}
		if !failed["orders-a"] || !failed["orders-b"] {
			t.Fatalf("id %q: recovery_failed for %v, want both channels", id, failed)
		}
		q.conn.Close()
	}
}

// first is an SSE id without its channel.
func first(id string) string { pos, _, _ := strings.Cut(id, " "); return pos }

func TestSSEHeartbeatAndTokenExpiry(t *testing.T) {
	h := startFakeClockServer(t, Options{Apps: []*App{sseApp(AuthRequired)}, ActivityTimeout: 30 * time.Second})
	tok, err := auth.Mint("app-secret", auth.MintOptions{Subject: "alice", TTL: 100 * time.Second, Now: h.start})
	if err != nil {
		t.Fatal(err)
	}
	c := dialSSE(t, h.Addr().String(), ssePath("app-key", "token="+tok, "news"), nil)
	if c.resp.StatusCode != 200 {
		t.Fatalf("status %d %s", c.resp.StatusCode, c.body)
	}
	waitFor(t, "open", func() bool { return h.Conns() == 1 })
	h.moveTo(31 * time.Second)
	if ev := c.next(5 * time.Second); len(ev.Comments) != 1 || ev.Comments[0] != "ping" || ev.Event != "" {
		t.Fatalf("heartbeat %+v", ev)
	}
	h.moveTo(62 * time.Second)
	if ev := c.next(5 * time.Second); len(ev.Comments) != 1 {
		t.Fatalf("second heartbeat %+v", ev)
	}
	h.moveTo(101 * time.Second) // the token expired
	evs := c.untilEOF(5 * time.Second)
	if len(evs) == 0 || evs[len(evs)-1].Event != "pusher:error" || !strings.Contains(evs[len(evs)-1].Data, "4009") {
		t.Fatalf("expiry: %+v", evs)
	}
}

func TestSSEPresenceMembership(t *testing.T) {
	var hooks = make(chan WebhookEvent, 16)
	app := sseApp(AuthRequired)
	app.Webhook = func(e WebhookEvent) { hooks <- e }
	s := sseServer(t, app)
	addr := s.Addr().String()
	alice := dialSSE(t, addr, ssePath("app-key", "token="+tokenFor(t, "alice", "presence-room"), "presence-room"), nil)
	waitSubscribers(t, s, "presence-room", 1)
	bob := dialSSE(t, addr, ssePath("app-key", "token="+tokenFor(t, "bob", "presence-room"), "presence-room"), nil)
	ev := alice.next(5 * time.Second)
	if ch, d := ev.payload(t); ev.Event != "pusher_internal:member_added" || ch != "presence-room" || !strings.Contains(d, `"bob"`) {
		t.Fatalf("alice saw %+v", ev)
	}
	bob.conn.Close()
	ev = alice.next(5 * time.Second)
	if _, d := ev.payload(t); ev.Event != "pusher_internal:member_removed" || !strings.Contains(d, `"bob"`) {
		t.Fatalf("alice saw %+v", ev)
	}
	seen := map[string]bool{}
	for deadline := time.After(5 * time.Second); !(seen["member_added bob"] && seen["member_removed bob"]); {
		select {
		case e := <-hooks:
			seen[e.Name+" "+e.UserID] = true
		case <-deadline:
			t.Fatalf("webhooks seen: %v", seen)
		}
	}
}

func TestSSESlowConsumerCut(t *testing.T) {
	app := sseApp(AuthOff)
	app.MaxQueuedBytes = 64 << 10
	s := sseServer(t, app)
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	c := dialSSEWith(t, small, s.Addr().String(), ssePath("app-key", "", "news"), nil)
	waitSubscribers(t, s, "news", 1)
	big := strings.Repeat("x", 8<<10)
	// Never read: the kernel buffers fill, then the queue passes its bound.
	sent := 0
	for ; len(s.allConns()) == 1 && sent < 2000; sent++ {
		_ = s.Publish(context.Background(), pubOf("news", big))
	}
	t.Logf("cut after %d events of 8 KiB", sent)
	evs := c.untilEOF(10 * time.Second)
	last := evs[len(evs)-1]
	if last.Event != "pusher:error" || !strings.Contains(last.Data, "4100") {
		t.Fatalf("last event %q %.80q", last.Event, last.Data)
	}
}

func TestSSEDrainFlushesThenCloses(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	c := dialSSE(t, s.Addr().String(), ssePath("app-key", "", "news"), nil)
	waitSubscribers(t, s, "news", 1)
	publish(t, s, "app-id", "news", "last", "before drain")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Drain(ctx, 10*time.Millisecond)
	}()
	evs := c.untilEOF(10 * time.Second)
	if len(evs) != 2 || evs[0].Event != "last" || evs[1].Event != "pusher:error" || !strings.Contains(evs[1].Data, "4200") {
		t.Fatalf("drained stream %+v", evs)
	}
	c.conn.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSSEIdleStreamsFewGoroutines: 1,000 idle streams add no goroutine.
func TestSSEIdleStreamsFewGoroutines(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	before := runtime.NumGoroutine()
	const n = 1000
	for i := range n {
		c := dialSSE(t, s.Addr().String(), ssePath("app-key", "", "news"), nil)
		if c.resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i, c.resp.StatusCode)
		}
	}
	waitSubscribers(t, s, "news", n)
	publish(t, s, "app-id", "news", "tick", "to all")
	var g int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if g = runtime.NumGoroutine(); g <= before+5 {
			break
		}
	}
	t.Logf("%d idle streams: %d goroutines (%d before)", n, g, before)
	if g > before+5 {
		t.Fatalf("%d goroutines with %d idle streams, %d before", g, n, before)
	}
}

func TestSSECurlReceivesEvent(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	s := sseServer(t, sseApp(AuthOff))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sN", "http://"+s.Addr().String()+ssePath("app-key", "", "news"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitSubscribers(t, s, "news", 1)
	publish(t, s, "app-id", "news", "hello", "from curl")
	buf := make([]byte, 0, 512)
	for !strings.Contains(string(buf), "\n\n") {
		b := make([]byte, 256)
		n, err := out.Read(b)
		if err != nil {
			t.Fatalf("curl output %q: %v", buf, err)
		}
		buf = append(buf, b[:n]...)
	}
	want := "event: hello\ndata: {\"channel\":\"news\",\"data\":\"from curl\"}\n\n"
	if string(buf) != want {
		t.Fatalf("curl got %q, want %q", buf, want)
	}
}
