package bench

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
)

// Client states. A client moves only forward: dialing → handshake →
// open → subscribed → closed. Exactly one party closes the socket: the
// worker (churn, stop) or netpoll when the peer goes away; both end in
// finish, which runs its body once.
const (
	stHandshake int32 = iota
	stOpen
	stSubscribed
	stClosed
)

const maxMessage = 1 << 20

// client is one harness WebSocket connection, driven by netpoll's
// OnRequest callback rather than by a goroutine of its own.
type client struct {
	w       *worker
	shard   *latShard
	conn    conn // netpoll.Connection, or *tlsConn for wss://
	channel string
	g       int // global connection index
	state   atomic.Int32
	wmu     sync.Mutex // serialises writes from OnRequest and the worker
	frag    []byte     // a fragmented message being reassembled
	started time.Time  // when the dial began
	readAt  int64      // unix ns when the bytes being parsed were taken in
}

// onRequest runs on a netpoll handler goroutine whenever bytes arrive.
// netpoll calls it again for as long as unread input remains, so it
// must consume everything: a partial frame is finished with a blocking
// read (bounded by the connection's read timeout), which holds this
// goroutine only while a message is in flight. It peeks only as far as
// the unit at hand; peeking the whole backlog would copy it per frame.
func (c *client) onRequest(_ context.Context, conn netpoll.Connection) error {
	r := conn.Reader()
	defer r.Release()
	c.readAt = time.Now().UnixNano() // one clock read per batch: its frames arrived together
	for r.Len() > 0 && c.state.Load() != stClosed {
		if !c.step(r) {
			return nil
		}
	}
	return nil
}

// readLoop is a wss:// client's reader, on a goroutine of its own: r
// blocks for bytes, so it runs until the connection closes.
func (c *client) readLoop(r netpoll.Reader) {
	for c.state.Load() != stClosed {
		c.readAt = time.Now().UnixNano()
		if !c.step(r) {
			return
		}
		r.Release()
	}
}

// step consumes the upgrade response or one frame; on a failure it
// closes the client and returns false.
func (c *client) step(r netpoll.Reader) bool {
	var reason string
	switch {
	case c.state.Load() == stHandshake:
		reason = c.handshake(r)
	case c.w.cfg.SSE:
		reason = skipStream(r)
	default:
		reason = c.nextFrame(r)
	}
	if reason != "" {
		c.fail(reason)
		return false
	}
	return true
}

// handshake consumes the upgrade response line by line; it returns a
// failure reason, or "" once the response was a 101.
func (c *client) handshake(r netpoll.Reader) string {
	var status []byte
	for total := 0; total < 16<<10; {
		line, err := r.Until('\n')
		if err != nil {
			return "upgrade: " + readReason(err)
		}
		total += len(line)
		if status == nil {
			status = bytes.TrimSpace(line)
			continue
		}
		if len(bytes.TrimSpace(line)) > 0 {
			continue
		}
		if c.w.cfg.SSE {
			if !bytes.HasPrefix(status, []byte("HTTP/1.1 200")) {
				return "stream refused: " + string(status[:min(len(status), 40)])
			}
			if c.state.CompareAndSwap(stHandshake, stSubscribed) {
				c.w.onSubscribed(c) // the 200 is the subscription
			}
			return ""
		}
		if !bytes.HasPrefix(status, []byte("HTTP/1.1 101")) {
			return "upgrade refused: " + string(status[:min(len(status), 40)])
		}
		c.state.CompareAndSwap(stHandshake, stOpen)
		if c.w.cfg.Protocol == "centrifugo" {
			c.write(opText, centrifugoConnect) // the server speaks only when asked
		}
		return ""
	}
	return "upgrade response too large"
}

// nextFrame reads and handles one frame; it returns a failure reason or "".
func (c *client) nextFrame(r netpoll.Reader) string {
	head, err := r.Peek(2)
	if err != nil {
		return readReason(err)
	}
	need := frameHeaderLen(head[0], head[1])
	if head, err = r.Peek(need); err != nil {
		return readReason(err)
	}
	h, ok, bad := parseServerFrame(head, maxMessage)
	if bad || !ok || h.masked {
		return "bad frame"
	}
	buf, err := r.Peek(h.hlen + h.plen)
	if err != nil {
		return readReason(err)
	}
	c.frame(h, buf[h.hlen:])
	r.Skip(h.hlen + h.plen)
	return ""
}

// skipStream consumes what an event stream sent (heartbeats, events):
// SSE connections are only held idle.
func skipStream(r netpoll.Reader) string {
	if _, err := r.Peek(1); err != nil {
		return readReason(err)
	}
	r.Skip(r.Len())
	return ""
}

func readReason(err error) string {
	if errors.Is(err, netpoll.ErrReadTimeout) {
		return "read timeout"
	}
	return "closed by server"
}

func (c *client) frame(h frameHead, payload []byte) {
	switch h.op {
	case opPing:
		c.write(opPong, payload)
	case opClose:
		c.fail("closed by server")
	case opText, opBin:
		if h.fin {
			c.message(payload)
			return
		}
		c.frag = append(c.frag[:0], payload...)
	case opCont:
		c.frag = append(c.frag, payload...)
		if h.fin {
			c.message(c.frag)
			c.frag = nil
		}
	}
}

// message handles one Pusher event.
func (c *client) message(msg []byte) {
	if c.w.cfg.Protocol == "centrifugo" {
		c.centrifugoMessages(msg)
		return
	}
	name, ok := stringField(msg, "event")
	if !ok {
		return
	}
	switch string(name) {
	case c.w.cfg.Event:
		c.delivery(msg)
	case "pusher:connection_established":
		c.write(opText, c.subscribe(msg))
	case "pusher_internal:subscription_succeeded":
		if c.state.CompareAndSwap(stOpen, stSubscribed) {
			c.w.onSubscribed(c)
		}
	case "pusher:ping":
		c.write(opText, pongMsg)
	case "pusher:error":
		if c.state.Load() == stSubscribed {
			c.w.refused.Add(1) // a refused client event; the server decides on closing
			return
		}
		c.fail(string(name))
	case "pusher:subscription_error":
		c.fail(string(name))
	}
}

// delivery times one published event from the send time in its data.
func (c *client) delivery(msg []byte) {
	if data, ok := stringField(msg, "data"); ok {
		if _, ns, ok := parseBenchData(data); ok {
			c.shard.record(c.readAt - ns) // the shard's count is the worker's deliveries
		}
	}
}

// write sends one masked frame; errors surface as a close callback.
func (c *client) write(op byte, payload []byte) {
	frame := appendClientFrame(make([]byte, 0, len(payload)+14), op, payload)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	w := c.conn.Writer()
	if _, err := w.WriteBinary(frame); err == nil {
		w.Flush()
	}
}

// fail closes the connection counting reason as a failure, unless it is
// already closed.
func (c *client) fail(reason string) {
	c.finish(reason)
}

// close is the worker's own close: a close frame, then the socket. The
// state moves to closed first, so the server's answering close is not
// counted as a failure.
func (c *client) close() {
	prev := c.state.Swap(stClosed)
	if prev == stClosed {
		return
	}
	if !c.w.cfg.SSE {
		c.write(opClose, []byte{0x03, 0xE8}) // 1000
	}
	// Reset rather than linger in TIME_WAIT: churn and back-to-back runs
	// would otherwise exhaust the source ports of 127.0.0.x.
	switch cc := c.conn.(type) {
	case interface{ Fd() int }:
		resetOnClose(cc.Fd())
	case *tlsConn:
		cc.resetOnClose()
	}
	c.conn.Close()
	c.w.onClosed(c, prev, "")
}

// finish moves to stClosed once and reports reason to the worker.
func (c *client) finish(reason string) {
	prev := c.state.Swap(stClosed)
	if prev == stClosed {
		return
	}
	c.conn.Close()
	c.w.onClosed(c, prev, reason)
}
