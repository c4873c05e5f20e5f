// Package fantest starts real fanout nodes and real WebSocket clients for
// tests: a node listens on a free loopback port, clients speak the Pusher
// protocol over a real socket (github.com/gobwas/ws on the client side).
//
// # Concurrency
//
// A Node is started and stopped by the test goroutine; a Client belongs to
// one goroutine at a time.
package fantest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/server"
	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Node is a running fanout node.
type Node struct {
	*server.Node
	Cfg config.Config
	// ClientTLS is the client side of a TLS node (set it to the PKI's
	// ClientConfig); URL, HTTPBase and API then speak wss:// and https.
	ClientTLS *tls.Config
	client    *http.Client
}

// Config returns the default configuration with free loopback ports and
// auth mode off for the development app; mutate it before Start.
func Config() config.Config {
	c := config.Default()
	c.Server.Addr = "127.0.0.1:0"
	c.Server.MetricsAddr = "127.0.0.1:0"
	c.Apps[0].Auth.Mode = config.AuthOff
	// Webhooks go out as soon as the directory decides them, so a test
	// can count them right after a leave; tests of webhooks.grace set it.
	c.Apps[0].Webhooks.Grace = 0
	return c
}

// Start runs a node with cfg (and broker b; nil means in-memory) until the
// test ends.
func Start(t testing.TB, cfg config.Config, b broker.Broker) *Node {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("fantest: config: %v", err)
	}
	if b == nil {
		b = broker.NewMemory()
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := server.New(cfg, log, b)
	if err != nil {
		t.Fatalf("fantest: %v", err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("fantest: %v", err)
	}
	t.Cleanup(n.Close)
	return &Node{Node: n, Cfg: cfg}
}

// URL is the WebSocket URL of app key on the node.
func (n *Node) URL(key string) string {
	if n.ClientTLS != nil {
		return "wss://" + n.Addr() + "/app/" + key + "?protocol=7&client=fantest&version=1.0"
	}
	return "ws://" + n.Addr() + "/app/" + key + "?protocol=7&client=fantest&version=1.0"
}

// HTTPBase is the HTTP API base URL.
func (n *Node) HTTPBase() string {
	if n.ClientTLS != nil {
		return "https://" + n.Addr()
	}
	return "http://" + n.Addr()
}

// HTTPClient is the client API uses: on a TLS node, one that trusts
// ClientTLS (made on first use; call it from one goroutine first).
func (n *Node) HTTPClient() *http.Client {
	if n.ClientTLS == nil {
		return http.DefaultClient
	}
	if n.client == nil {
		n.client = &http.Client{Transport: &http.Transport{TLSClientConfig: n.ClientTLS}, Timeout: 10 * time.Second}
	}
	return n.client
}

// Publish triggers one event through the signed HTTP API and returns the
// status and body.
func (n *Node) Publish(t testing.TB, app config.App, channel, event, data string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": event, "channel": channel, "data": data})
	return n.API(t, app, "POST", "/apps/"+app.ID+"/events", nil, body)
}

// API makes a signed HTTP API request.
func (n *Node) API(t testing.TB, app config.App, method, path string, query url.Values, body []byte) (int, string) {
	t.Helper()
	status, b, err := n.APIErr(app, method, path, query, body)
	if err != nil {
		t.Fatalf("fantest: %s %s: %v", method, path, err)
	}
	return status, b
}

// APIErr is API for any goroutine: a request that got no answer is an
// error, not a failed test.
func (n *Node) APIErr(app config.App, method, path string, query url.Values, body []byte) (int, string, error) {
	q := auth.SignRequest(method, path, query, body, app.Key, app.Secret, time.Now())
	req, _ := http.NewRequest(method, n.HTTPBase()+path+"?"+q.Encode(), strings.NewReader(string(body)))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.HTTPClient().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// Event is a Pusher event as a client receives it.
type Event struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
	UserID  string          `json:"user_id"`
	// Position is set on events of channels that keep history.
	Position *broker.Position `json:"position"`
}

// DataString returns Data decoded from its JSON string form (or raw).
func (e Event) DataString() string {
	var s string
	if json.Unmarshal(e.Data, &s) == nil {
		return s
	}
	return string(e.Data)
}

// Client is a raw Pusher protocol client on a real socket.
type Client struct {
	Conn     net.Conn
	SocketID string
	t        testing.TB
}

// Dial connects to url with optional extra headers and waits for
// pusher:connection_established.
func Dial(t testing.TB, rawURL string, header http.Header) *Client {
	t.Helper()
	c, err := DialErr(t, rawURL, header)
	if err != nil {
		t.Fatalf("fantest: dial: %v", err)
	}
	ev := c.Next()
	if ev.Event != "pusher:connection_established" {
		t.Fatalf("fantest: first event %q, want connection_established", ev.Event)
	}
	var d struct {
		SocketID string `json:"socket_id"`
	}
	_ = json.Unmarshal([]byte(ev.DataString()), &d)
	c.SocketID = d.SocketID
	return c
}

// DialErr performs the upgrade and returns the error of a refused one;
// it does not wait for connection_established.
func DialErr(t testing.TB, rawURL string, header http.Header) (*Client, error) {
	return DialTLS(t, rawURL, header, nil)
}

// DialTLS is DialErr with the TLS client configuration for a wss:// URL.
func DialTLS(t testing.TB, rawURL string, header http.Header, cfg *tls.Config) (*Client, error) {
	d := ws.Dialer{Timeout: 5 * time.Second, TLSConfig: cfg}
	for k, v := range header { // extensions are offered through the dialer, which checks the answer
		if strings.EqualFold(k, "Sec-WebSocket-Extensions") && len(v) > 0 {
			header = header.Clone()
			delete(header, k)
			d.Extensions, _ = httphead.ParseOptions([]byte(strings.Join(v, ", ")), nil)
			break
		}
	}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	conn, br, _, err := d.Dial(context.Background(), rawURL)
	if err != nil {
		return nil, err
	}
	if br != nil { // bytes that arrived with the 101 response
		conn = &bufferedConn{Conn: conn, r: br}
	}
	t.Cleanup(func() { conn.Close() })
	return &Client{Conn: conn, t: t}, nil
}

// Send writes one Pusher event.
func (c *Client) Send(event string, data any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"event": event, "data": data})
	c.SendRaw(b)
}

// SendRaw writes one text message.
func (c *Client) SendRaw(b []byte) {
	c.t.Helper()
	if err := c.writeText(b); err != nil {
		c.t.Fatalf("fantest: write: %v", err)
	}
}

// writeText writes one text message; any goroutine.
func (c *Client) writeText(b []byte) error { return wsutil.WriteClientText(c.Conn, b) }

// Next reads the next event (failing the test after 5 s).
func (c *Client) Next() Event {
	c.t.Helper()
	ev, err := c.NextErr(5 * time.Second)
	if err != nil {
		c.t.Fatalf("fantest: read: %v", err)
	}
	return ev
}

// NextErr reads the next event; a close frame comes back as a
// wsutil.ClosedError.
func (c *Client) NextErr(timeout time.Duration) (Event, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(timeout))
	b, err := wsutil.ReadServerText(c.Conn)
	if err != nil {
		return Event{}, err
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("bad event %q: %w", b, err)
	}
	return ev, nil
}

// Subscribe subscribes to a public channel and waits for success.
func (c *Client) Subscribe(channel string) {
	c.t.Helper()
	c.Send("pusher:subscribe", map[string]string{"channel": channel})
	c.Expect("pusher_internal:subscription_succeeded")
}

// SubscribeRecover subscribes to a public channel, with "recover": from
// in the data unless from is nil, and returns the events that arrive
// before pusher_internal:subscription_succeeded (a recovery's replay), and
// that event.
func (c *Client) SubscribeRecover(channel string, from *broker.Position) ([]Event, Event) {
	c.t.Helper()
	data := map[string]any{"channel": channel}
	if from != nil {
		data["recover"] = from
	}
	c.Send("pusher:subscribe", data)
	var before []Event
	for {
		ev := c.Next()
		if ev.Event == "pusher_internal:subscription_succeeded" {
			return before, ev
		}
		before = append(before, ev)
	}
}

// Expect reads events until one named name arrives (skipping pings).
func (c *Client) Expect(name string) Event {
	c.t.Helper()
	for i := 0; i < 100; i++ {
		ev := c.Next()
		if ev.Event == name {
			return ev
		}
	}
	c.t.Fatalf("fantest: %q never arrived", name)
	return Event{}
}

// CloseCode reads until the server's close frame and returns its code.
func (c *Client) CloseCode(timeout time.Duration) (ws.StatusCode, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := c.NextErr(time.Until(deadline))
		if err == nil {
			continue
		}
		if ce, ok := err.(wsutil.ClosedError); ok {
			return ce.Code, nil
		}
		return 0, err
	}
	return 0, fmt.Errorf("no close frame within %v", timeout)
}

// bufferedConn reads what the dialer buffered before the socket.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
