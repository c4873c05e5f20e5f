package gorillahub

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/fanout/fanout/bench/peers/hubcore"
)

// Options configure the handler. The zero value uses hubcore defaults.
type Options struct {
	Hub       hubcore.Options
	SendQueue int // writes buffered per connection; default 256
	Shards    int // goroutines a publish is queued over; default GOMAXPROCS
	Backlog   int // publishes waiting to be queued before a 503; default 1024
}

// batchBytes caps the queued frames a writer joins into one write.
const batchBytes = 64 << 10

// writeWait bounds one write to a connection.
const writeWait = 10 * time.Second

// New returns the handler: /app/{key} upgrades, everything else goes to
// the Pusher HTTP API.
func New(opts Options) http.Handler {
	if opts.SendQueue <= 0 {
		opts.SendQueue = 256
	}
	opts.Hub.Publish = hubcore.NewFanout(hubcore.FanoutOptions{Shards: opts.Shards, Backlog: opts.Backlog,
		Write: func(c hubcore.Conn, frames []byte) { c.(*conn).queue(frames) }}).Publish
	s := &server{hub: hubcore.New(opts.Hub), queue: opts.SendQueue}
	s.up.CheckOrigin = func(*http.Request) bool { return true }
	// The writer writes frames itself; gorilla's write buffer is used
	// only for the handshake, so it goes back to a pool after.
	s.up.WriteBufferPool = &sync.Pool{}
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
	c := &conn{ws: ws, send: make(chan []byte, s.queue)}
	// Control answers go through the writer too, so that it stays the
	// only goroutine writing to the socket.
	ws.SetPingHandler(func(data string) error {
		c.queue(hubcore.AppendFrame(nil, hubcore.OpPong, []byte(data)))
		return nil
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		c.queue(hubcore.AppendFrame(nil, hubcore.OpClose, websocket.FormatCloseMessage(code, "")))
		return nil
	})
	go c.writeLoop(ws.NetConn())
	c.Send(s.hub.Welcome())
	c.readLoop(s.hub)
}

type conn struct {
	ws   *websocket.Conn
	mu   sync.Mutex // guards dead and send against a concurrent close
	dead bool
	send chan []byte // encoded frames
}

// Send implements hubcore.Conn; a full queue drops the message.
func (c *conn) Send(msg []byte) bool {
	return c.queue(hubcore.AppendFrame(make([]byte, 0, len(msg)+10), hubcore.OpText, msg))
}

// queue hands frame to the writer without blocking; a full queue drops
// it.
func (c *conn) queue(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	select {
	case c.send <- frame:
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

// writeLoop writes queued frames to nc, joining whatever is queued when
// it wakes (up to batchBytes) into one write, as gorilla's chat example
// joins queued messages.
func (c *conn) writeLoop(nc net.Conn) {
	defer nc.Close()
	var buf []byte
	for frame := range c.send {
		buf = append(buf[:0], frame...)
	more:
		for len(buf) < batchBytes {
			select {
			case f, ok := <-c.send:
				if !ok {
					break more
				}
				buf = append(buf, f...)
			default:
				break more
			}
		}
		nc.SetWriteDeadline(time.Now().Add(writeWait))
		if _, err := nc.Write(buf); err != nil {
			nc.Close() // unblocks the reader, which closes send
			for range c.send {
			}
			return
		}
	}
}
