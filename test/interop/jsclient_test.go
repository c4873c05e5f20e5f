package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/ledger"
)

// jsClient runs signin.mjs (pusher-js or Laravel Echo) and feeds the loss
// ledger with what it reports: each connection is a ledger session (or,
// for a client with the recovery helper, one session for all of them:
// it must miss nothing across a reconnect), its subscription_succeeded
// starts a subscription, its events are received, and the close code
// pusher-js reports ends the session.
type jsClient struct {
	t     *testing.T
	l     *ledger.Ledger
	one   bool
	stdin io.WriteCloser

	mu        sync.Mutex
	lines     []string
	sess      *ledger.Session
	conns     int               // connections made ("connected" states)
	subs      []map[string]bool // channels subscribed, by connection
	signins   int               // pusher:signin_success, all connections
	subErrs   []jsLine
	codes     []int // close and error codes pusher-js reported, in order
	codeAt    []int // the line of each
	lastCode  int
	recovered map[string][]bool // each recovery outcome, by channel
}

// jsLine is one line signin.mjs writes.
type jsLine struct {
	T         string          `json:"t"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Code      *int            `json:"code"`
	Ch        string          `json:"ch"`
	Data      json.RawMessage `json:"data"`
	Recovered bool            `json:"recovered"`
	n         int             // its index in lines
}

// jsEnv is signin.mjs's environment; client is pusher or echo.
type jsEnv struct {
	host, port, key, authBase, client string
	signin, recovery, tls             bool
	channels                          []string
	extra                             []string
}

func (e jsEnv) list() []string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return append([]string{"FANOUT_HOST=" + e.host, "FANOUT_PORT=" + e.port, "FANOUT_KEY=" + e.key,
		"AUTH_BASE=" + e.authBase, "FANOUT_CLIENT=" + e.client, "FANOUT_SIGNIN=" + b(e.signin),
		"FANOUT_RECOVERY=" + b(e.recovery), "FANOUT_TLS=" + b(e.tls),
		"FANOUT_CHANNELS=" + strings.Join(e.channels, ",")}, e.extra...)
}

// startJS starts signin.mjs; it stops when the test ends (its stdin is
// closed, then it is killed if it lingers).
func startJS(t *testing.T, l *ledger.Ledger, one bool, e jsEnv) *jsClient {
	t.Helper()
	return startScript(t, l, one, "signin.mjs", e.list())
}

// startScript runs a node script that reports as signin.mjs's drive does.
func startScript(t *testing.T, l *ledger.Ledger, one bool, script string, env []string) *jsClient {
	t.Helper()
	c := &jsClient{t: t, l: l, one: one, recovered: map[string][]bool{}}
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), env...)
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout // one stream, in order
	if err := cmd.Start(); err != nil {
		t.Fatalf("node signin.mjs: %v", err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.handle(sc.Text())
		}
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		done := make(chan struct{})
		go func() { <-read; _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("%s reported:\n%s", script, c.transcript())
		}
	})
	return c
}

func (c *jsClient) handle(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, text)
	var ln jsLine
	if json.Unmarshal([]byte(text), &ln) != nil {
		return // node's own output (a stack trace): kept for the transcript
	}
	ln.n = len(c.lines) - 1
	switch ln.T {
	case "state":
		switch {
		case ln.To == "connected":
			c.conns++
			c.subs = append(c.subs, map[string]bool{})
			if !c.one || c.sess == nil {
				c.sess = c.l.Session(fmt.Sprintf("connection %d", c.conns))
			}
		case ln.From == "connected" && !c.one:
			c.sess.Closed(c.lastCode)
		}
		c.lastCode = 0
	case "error":
		if ln.Code != nil {
			c.lastCode = *ln.Code
			c.codes = append(c.codes, *ln.Code)
			c.codeAt = append(c.codeAt, ln.n)
		}
	case "sub":
		if c.conns > 0 {
			c.subs[c.conns-1][ln.Ch] = true
			c.sess.Subscribed(ln.Ch)
		}
	case "ev":
		var data string
		if json.Unmarshal(ln.Data, &data) == nil && c.sess != nil {
			c.sess.Received(ln.Ch, data)
		}
	case "suberr":
		c.subErrs = append(c.subErrs, ln)
	case "signin":
		c.signins++
	case "recovery":
		c.recovered[ln.Ch] = append(c.recovered[ln.Ch], ln.Recovered)
	}
}

// await polls cond (under the client's lock) until it holds, failing the
// test with what the client reported when d passes first.
func (c *jsClient) await(d time.Duration, what string, cond func() bool) {
	c.t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(end) {
			c.t.Fatalf("not within %v: %s", d, what)
		}
	}
}

// subscribedOn reports whether connection n (1-based) was told each
// channel is subscribed; mu is held.
func (c *jsClient) subscribedOn(n int, channels ...string) bool {
	if n < 1 || n > len(c.subs) {
		return false
	}
	for _, ch := range channels {
		if !c.subs[n-1][ch] {
			return false
		}
	}
	return true
}

// received reports whether the current session holds at least n events
// of each channel; mu is held.
func (c *jsClient) received(n int, channels ...string) bool {
	for _, ch := range channels {
		if c.sess == nil || c.sess.Count(ch) < n {
			return false
		}
	}
	return true
}

func (c *jsClient) transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// authEndpoints serves an app backend's two Pusher auth endpoints, at
// Laravel's paths, on a loopback port and returns their base URL:
// /broadcasting/user-auth (pusher-js userAuthentication) signs in user u42
// after delay, as a slow backend answers; /broadcasting/auth (private
// channels) answers at once.
func authEndpoints(t *testing.T, a config.App, delay time.Duration) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /broadcasting/user-auth", func(w http.ResponseWriter, r *http.Request) {
		select { // the backend's latency, part of the scenario
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		ud := `{"id":"u42","user_info":{"name":"u42"}}`
		writeJSON(w, map[string]string{"auth": auth.SignUser(a.Key, a.Secret, r.FormValue("socket_id"), ud), "user_data": ud})
	})
	mux.HandleFunc("POST /broadcasting/auth", func(w http.ResponseWriter, r *http.Request) {
		channelAuth(w, r, a, "u42")
	})
	l, _ := listenLoopback(t)
	serveOn(t, l, mux)
	return "http://" + l.Addr().String()
}

// ledgerPublisher publishes numbered ledger events through a node's
// signed HTTP API and records each answer.
type ledgerPublisher struct {
	l      *ledger.Ledger
	app    config.App
	base   string       // http://host:port (or https://) of the node published to
	client *http.Client // nil: http.DefaultClient
}

// one publishes the next event of channel and returns the HTTP status (0
// on a transport error).
func (p ledgerPublisher) one(channel string) int {
	seq := p.l.Next(channel)
	body, _ := json.Marshal(map[string]any{"name": "ledger", "channel": channel,
		"data": ledger.Payload(seq, time.Now())})
	client := p.client
	if client == nil {
		client = http.DefaultClient
	}
	st, _ := apiPostTo(client, p.base, p.app, "/apps/"+p.app.ID+"/events", body)
	p.l.Record(channel, seq, st)
	return st
}

// round publishes one event to each channel, failing unless all are
// accepted.
func (p ledgerPublisher) round(t *testing.T, channels []string) {
	t.Helper()
	for _, ch := range channels {
		if st := p.one(ch); st != 200 {
			t.Fatalf("publish to %s: HTTP %d", ch, st)
		}
	}
}

// check runs the ledger's check and fails the test unless nothing went
// silently missing, nothing arrived twice or out of order, and at least
// want deliveries were owed.
func checkLedger(t *testing.T, l *ledger.Ledger, want int) ledger.Report {
	t.Helper()
	r := l.Check(ledger.Options{})
	t.Log(r.String())
	if !r.OK() || r.Expected < want {
		t.Fatalf("%s\nwant at least %d deliveries owed", r.String(), want)
	}
	return r
}
