package hubcore

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
)

// Conn is one client connection as a hub's transport sees it.
type Conn interface {
	// Send queues msg as one text frame without blocking; it returns
	// false when the connection cannot take it (closed or queue full).
	Send(msg []byte) bool
}

// Options configure a Hub. The zero value is the development app.
type Options struct {
	AppID     string // default "app-id"
	AppKey    string // default "app-key"
	AppSecret string // default "app-secret"

	// Publish is the transport's fan-out of msg (one Pusher message,
	// not yet framed) to subs, a snapshot the Hub will not change. It
	// may return before the writes are done: the publish endpoint
	// answers as soon as it returns, 200 on nil and 503 with the
	// error's text when the transport refused the event (its fan-out
	// backlog is full). Nil calls Send on each subscriber in turn.
	Publish func(subs []Conn, msg []byte) error
}

// Hub is the channel table and the protocol logic of a peer hub.
type Hub struct {
	opts  Options
	next  atomic.Uint64
	mu    sync.RWMutex
	chans map[string]*members
}

// members is one channel's subscribers, with a snapshot slice rebuilt
// on the first publish after a change.
type members struct {
	set  map[Conn]struct{}
	snap []Conn // nil when set changed since it was built
}

// New returns a Hub for opts.
func New(opts Options) *Hub {
	if opts.AppID == "" {
		opts.AppID = "app-id"
	}
	if opts.AppKey == "" {
		opts.AppKey = "app-key"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "app-secret"
	}
	return &Hub{opts: opts, chans: make(map[string]*members)}
}

// Key is the app key clients must use in /app/{key}.
func (h *Hub) Key() string { return h.opts.AppKey }

// State is what the hub keeps per connection; the transport owns it and
// passes it back on every call.
type State struct {
	Channels []string
}

// Welcome returns the pusher:connection_established message for a new
// connection.
func (h *Hub) Welcome() []byte {
	n := h.next.Add(1)
	id := strconv.FormatUint(n/1000+1, 10) + "." + strconv.FormatUint(n, 10)
	data := `{"socket_id":"` + id + `","activity_timeout":120}`
	return event("pusher:connection_established", "", data)
}

type clientMsg struct {
	Event string `json:"event"`
	Data  struct {
		Channel string `json:"channel"`
	} `json:"data"`
}

// HandleMessage processes one text message from c.
func (h *Hub) HandleMessage(c Conn, st *State, msg []byte) {
	var m clientMsg
	if err := json.Unmarshal(msg, &m); err != nil {
		c.Send(event("pusher:error", "", `{"code":4200,"message":"bad json"}`))
		return
	}
	switch m.Event {
	case "pusher:ping":
		c.Send(pong)
	case "pusher:subscribe":
		h.subscribe(c, st, m.Data.Channel)
	case "pusher:unsubscribe":
		h.unsubscribe(c, st, m.Data.Channel)
	}
}

var pong = event("pusher:pong", "", "{}")

func (h *Hub) subscribe(c Conn, st *State, ch string) {
	if ch == "" || len(st.Channels) >= 100 {
		c.Send(event("pusher:subscription_error", ch, `{"type":"LimitReached","status":400}`))
		return
	}
	h.mu.Lock()
	m := h.chans[ch]
	if m == nil {
		m = &members{set: make(map[Conn]struct{})}
		h.chans[ch] = m
	}
	_, dup := m.set[c]
	m.set[c] = struct{}{}
	m.snap = nil
	h.mu.Unlock()
	if !dup {
		st.Channels = append(st.Channels, ch)
	}
	c.Send(event("pusher_internal:subscription_succeeded", ch, "{}"))
}

func (h *Hub) unsubscribe(c Conn, st *State, ch string) {
	h.mu.Lock()
	h.drop(c, ch)
	h.mu.Unlock()
	for i, s := range st.Channels {
		if s == ch {
			st.Channels = append(st.Channels[:i], st.Channels[i+1:]...)
			break
		}
	}
}

func (h *Hub) drop(c Conn, ch string) {
	if m := h.chans[ch]; m != nil {
		delete(m.set, c)
		m.snap = nil
		if len(m.set) == 0 {
			delete(h.chans, ch)
		}
	}
}

// Remove forgets c everywhere; call it once when the connection closes.
func (h *Hub) Remove(c Conn, st *State) {
	h.mu.Lock()
	for _, ch := range st.Channels {
		h.drop(c, ch)
	}
	h.mu.Unlock()
	st.Channels = nil
}

// Subscribers returns the subscribers of ch as a slice the caller may
// keep and read but not change; it is rebuilt only after the channel's
// membership changed.
func (h *Hub) Subscribers(ch string) []Conn {
	h.mu.RLock()
	m := h.chans[ch]
	if m == nil {
		h.mu.RUnlock()
		return nil
	}
	if snap := m.snap; snap != nil {
		h.mu.RUnlock()
		return snap
	}
	h.mu.RUnlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if m = h.chans[ch]; m == nil {
		return nil
	}
	if m.snap == nil {
		m.snap = make([]Conn, 0, len(m.set))
		for c := range m.set {
			m.snap = append(m.snap, c)
		}
	}
	return m.snap
}

// Publish hands msg for the subscribers of ch to the transport's
// Options.Publish, or sends it to each in turn without one; it returns
// the transport's refusal, nil otherwise.
func (h *Hub) Publish(ch string, msg []byte) error {
	subs := h.Subscribers(ch)
	if len(subs) == 0 {
		return nil
	}
	if h.opts.Publish != nil {
		return h.opts.Publish(subs, msg)
	}
	for _, c := range subs {
		c.Send(msg)
	}
	return nil
}

// Broadcast sends msg to every subscriber of ch with Send, on the
// calling goroutine, and returns how many took it.
func (h *Hub) Broadcast(ch string, msg []byte) int {
	n := 0
	for _, c := range h.Subscribers(ch) {
		if c.Send(msg) {
			n++
		}
	}
	return n
}

// event encodes a Pusher message; data is the JSON string's content.
func event(name, channel, data string) []byte {
	b := make([]byte, 0, 48+len(name)+len(channel)+len(data))
	b = append(b, `{"event":`...)
	b = strconv.AppendQuote(b, name)
	if channel != "" {
		b = append(b, `,"channel":`...)
		b = strconv.AppendQuote(b, channel)
	}
	b = append(b, `,"data":`...)
	d, _ := json.Marshal(data)
	b = append(b, d...)
	return append(b, '}')
}
