package nbiohub

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/fanout/fanout/bench/peers/hubcore"
)

// Options configure the server. The zero value serves the development
// app on 127.0.0.1:6103.
type Options struct {
	Addr   string // default "127.0.0.1:6103"
	Hub    hubcore.Options
	Shards int // goroutines a publish fans out over; default GOMAXPROCS
	// Backlog is how many publishes may wait for their writes before
	// the publish endpoint answers 503; default 1024.
	Backlog int
}

type conn struct {
	ws  *websocket.Conn
	raw net.Conn // nbio's non-blocking connection under ws
	st  hubcore.State
}

// Send implements hubcore.Conn; nbio queues the write without blocking.
func (c *conn) Send(msg []byte) bool {
	return c.ws.WriteMessage(websocket.TextMessage, msg) == nil
}

// New returns a started-on-demand engine serving the hub.
func New(opts Options) *nbhttp.Engine {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:6103"
	}
	opts.Hub.Publish = hubcore.NewFanout(hubcore.FanoutOptions{Shards: opts.Shards, Backlog: opts.Backlog,
		Write: func(c hubcore.Conn, frames []byte) {
			// nbio's Write never blocks: what the socket does not take
			// now is copied to the connection's queue and sent when it
			// is writable.
			c.(*conn).raw.Write(frames)
		}}).Publish
	hub := hubcore.New(opts.Hub)
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.KeepaliveTime = 0 // the Pusher layer has its own heartbeats
	up.OnMessage(func(ws *websocket.Conn, mt websocket.MessageType, data []byte) {
		if c, ok := ws.Session().(*conn); ok && mt == websocket.TextMessage {
			hub.HandleMessage(c, &c.st, data)
		}
	})
	up.OnClose(func(ws *websocket.Conn, _ error) {
		if c, ok := ws.Session().(*conn); ok {
			hub.Remove(c, &c.st)
		}
	})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/app/"+hub.Key() {
			hub.ServeHTTP(w, r)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &conn{ws: ws, raw: ws.UnderlayerConn()}
		ws.SetSession(c)
		c.Send(hub.Welcome())
	})
	return nbhttp.NewEngine(nbhttp.Config{
		Network:                 "tcp",
		Addrs:                   []string{opts.Addr},
		Handler:                 mux,
		IOMod:                   nbhttp.IOModNonBlocking,
		ReleaseWebsocketPayload: true,
		ReadBufferSize:          4096,
		MaxLoad:                 1 << 20,
	})
}
