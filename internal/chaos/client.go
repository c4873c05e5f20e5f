package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/ledger"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// LedgerEvent is the event name publishers use for numbered events.
const LedgerEvent = "ledger"

// Event is a Pusher event as a client read it; Data is decoded from its
// JSON string form when it is one.
type Event struct {
	Event   string
	Channel string
	Data    string
	At      time.Time
}

// Client is one Pusher-protocol connection with its own reader goroutine.
// Ledger events go to its Session; other events are kept in order for
// WaitFor.
type Client struct {
	SocketID string
	Session  *ledger.Session

	conn net.Conn
	wmu  sync.Mutex

	mu     sync.Mutex
	events []Event
	done   chan struct{}
	code   int
	ended  time.Time
	err    error // what ended the reader

	latency func(time.Duration)
}

// DialOptions tune Dial; the zero value dials from the default address.
type DialOptions struct {
	Local   string                // source IP, e.g. "127.0.0.3"; default any
	Timeout time.Duration         // upgrade and connection_established; default 10 s
	Latency func(d time.Duration) // called with each ledger event's publish-to-receipt time
}

// Dial opens a connection to url, waits for pusher:connection_established
// and starts the reader. session (may be nil) records ledger events.
func Dial(url string, session *ledger.Session, o DialOptions) (*Client, error) {
	timeout := durationOr(o.Timeout, 10*time.Second)
	d := ws.Dialer{Timeout: timeout}
	if o.Local != "" {
		nd := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(o.Local)}}
		d.NetDial = nd.DialContext
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	if br != nil {
		conn = &bufferedConn{Conn: conn, r: br}
	}
	c := &Client{conn: conn, Session: session, done: make(chan struct{}), latency: o.Latency}
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	ev, err := c.read()
	if err != nil || ev.Event != "pusher:connection_established" {
		conn.Close()
		return nil, fmt.Errorf("connection_established: %q %v", ev.Event, err)
	}
	var est struct {
		SocketID string `json:"socket_id"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &est)
	c.SocketID = est.SocketID
	_ = conn.SetReadDeadline(time.Time{})
	go c.readLoop()
	return c, nil
}

type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (c *Client) read() (Event, error) {
	b, err := wsutil.ReadServerText(c.conn)
	if err != nil {
		return Event{}, err
	}
	var raw struct {
		Event   string          `json:"event"`
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Event{}, fmt.Errorf("bad event %q: %w", b, err)
	}
	ev := Event{Event: raw.Event, Channel: raw.Channel, Data: string(raw.Data), At: time.Now()}
	var s string
	if json.Unmarshal(raw.Data, &s) == nil {
		ev.Data = s
	}
	return ev, nil
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		ev, err := c.read()
		if err != nil {
			// No close frame: RFC 6455 section 7.1.5 calls that 1006,
			// abnormal closure, a code never sent on the wire.
			var ce wsutil.ClosedError
			code := 1006
			if errors.As(err, &ce) {
				code = int(ce.Code)
			}
			c.mu.Lock()
			c.code, c.ended, c.err = code, time.Now(), err
			c.mu.Unlock()
			if c.Session != nil {
				c.Session.Closed(code)
			}
			c.conn.Close()
			return
		}
		switch {
		case ev.Event == LedgerEvent:
			if c.Session != nil {
				at := c.Session.Received(ev.Channel, ev.Data)
				if c.latency != nil && !at.IsZero() {
					c.latency(ev.At.Sub(at))
				}
			}
			continue
		case ev.Event == "pusher:ping":
			_ = c.Send("pusher:pong", map[string]any{})
			continue
		case ev.Event == "pusher_internal:subscription_succeeded" && c.Session != nil:
			c.Session.Subscribed(ev.Channel)
		}
		c.mu.Lock()
		c.events = append(c.events, ev)
		c.mu.Unlock()
	}
}

// Send writes one Pusher event.
func (c *Client) Send(event string, data any) error {
	b, _ := json.Marshal(map[string]any{"event": event, "data": data})
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	err := wsutil.WriteClientText(c.conn, b)
	// Clear it: the reader answers pings and the close frame on the same
	// socket, maybe long after this write.
	_ = c.conn.SetWriteDeadline(time.Time{})
	return err
}

// Subscribe sends pusher:subscribe for channel (with the HMAC auth for
// private- and presence- channels; userID is the presence member) and
// waits up to d for subscription_succeeded.
func (c *Client) Subscribe(channel, userID string, d time.Duration) error {
	if err := c.SubscribeAsync(channel, userID); err != nil {
		return err
	}
	if _, ok := c.WaitFor(d, func(e Event) bool {
		return e.Channel == channel && (e.Event == "pusher_internal:subscription_succeeded" || e.Event == "pusher:subscription_error")
	}); !ok {
		return fmt.Errorf("subscribe %s: no answer within %v (closed %d)", channel, d, c.CloseCode())
	}
	if ev, _ := c.WaitFor(0, func(e Event) bool { return e.Channel == channel && e.Event == "pusher:subscription_error" }); ev.Event != "" {
		return fmt.Errorf("subscribe %s: %s", channel, ev.Data)
	}
	return nil
}

// SubscribeAsync sends pusher:subscribe without waiting.
func (c *Client) SubscribeAsync(channel, userID string) error {
	data := map[string]string{"channel": channel}
	switch {
	case strings.HasPrefix(channel, "presence-"):
		cd, _ := json.Marshal(map[string]any{"user_id": userID, "user_info": map[string]string{"name": userID}})
		data["channel_data"] = string(cd)
		data["auth"] = auth.SignChannel(AppKey, AppSecret, c.SocketID, channel, string(cd))
	case strings.HasPrefix(channel, "private-"):
		data["auth"] = auth.SignChannel(AppKey, AppSecret, c.SocketID, channel, "")
	}
	return c.Send("pusher:subscribe", data)
}

// WaitFor waits up to d for a kept event matching match (d 0: look once).
func (c *Client) WaitFor(d time.Duration, match func(Event) bool) (Event, bool) {
	var found Event
	_, ok := Eventually(d, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.events {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, ok
}

// Events returns a copy of the kept (non-ledger) events.
func (c *Client) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// CloseCode returns the server's close code once the connection has ended
// (1006: lost without a close frame; 0: still open).
func (c *Client) CloseCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code
}

// Err returns what ended the connection's reader (nil while open).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Ended returns when the connection ended (zero while open).
func (c *Client) Ended() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// Close closes the socket without a close handshake; the session notes
// that the client left.
func (c *Client) Close() {
	if c.Session != nil {
		c.Session.Left()
	}
	c.conn.Close()
}
