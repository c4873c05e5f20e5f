package gorillahub

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/fanout/fanout/bench/peers/hubcore"
)

// Options configure the handler. The zero value uses hubcore defaults.
type Options struct {
	Hub       hubcore.Options
	SendQueue int // messages buffered per connection; default 256
}

// New returns the handler: /app/{key} upgrades, everything else goes to
// the Pusher HTTP API.
func New(opts Options) http.Handler {
	if opts.SendQueue <= 0 {
		opts.SendQueue = 256
	}
	opts.Hub.Publish = publish
	s := &server{hub: hubcore.New(opts.Hub), queue: opts.SendQueue}
	s.up.CheckOrigin = func(*http.Request) bool { return true }
	return s
}

type server struct {
	hub   *hubcore.Hub
	queue int
	up    websocket.Upgrader
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/app/"+s.hub.Key() {
		s.hub.ServeHTTP(w, r)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws, send: make(chan *websocket.PreparedMessage, s.queue)}
	go c.writeLoop()
	c.Send(s.hub.Welcome())
	c.readLoop(s.hub)
}

type conn struct {
	ws   *websocket.Conn
	mu   sync.Mutex // guards closed and send against a concurrent close
	dead bool
	send chan *websocket.PreparedMessage
}

// publish frames msg once (websocket.PreparedMessage keeps the encoded
// frame) and queues it for every subscriber's writer; it does not wait
// for the writes.
func publish(subs []hubcore.Conn, msg []byte) {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	if err != nil {
		return
	}
	for _, c := range subs {
		c.(*conn).queue(pm)
	}
}

// Send implements hubcore.Conn; a full queue drops the message.
func (c *conn) Send(msg []byte) bool {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	return err == nil && c.queue(pm)
}

// queue hands pm to the writer without blocking; a full queue drops it.
func (c *conn) queue(pm *websocket.PreparedMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	select {
	case c.send <- pm:
		return true
	default:
		return false
	}
}

func (c *conn) readLoop(hub *hubcore.Hub) {
	var st hubcore.State
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		hub.HandleMessage(c, &st, msg)
	}
	hub.Remove(c, &st)
	c.mu.Lock()
	c.dead = true
	close(c.send)
	c.mu.Unlock()
}

func (c *conn) writeLoop() {
	defer c.ws.Close()
	for msg := range c.send {
		c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.ws.WritePreparedMessage(msg); err != nil {
			c.ws.Close() // unblocks the reader, which closes send
			for range c.send {
			}
			return
		}
	}
}
