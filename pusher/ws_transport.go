package pusher

import (
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/protocol"
)

// wsTransport writes RFC 6455 frames. pusher: a server close sends a
// pusher:error event before the close frame for Pusher codes (4000 and
// up), which pusher-js reads to decide whether to reconnect; the /echo
// transport sends the close frame alone.
type wsTransport struct{ pusher bool }

var (
	webSocket  = wsTransport{pusher: true}
	echoSocket = wsTransport{}
)

func (wsTransport) Name() string { return "websocket" }

func (wsTransport) Send(pc *poller.Conn, b []byte, limit int) error {
	return pc.WriteLimit(b, limit)
}

func (wsTransport) SendBatch(pc *poller.Conn, bs [][]byte, limit int) error {
	return pc.WriteBatch(bs, limit)
}

// Ping writes a pusher:ping event, which the client answers with
// pusher:pong (any frame counts as the answer).
func (wsTransport) Ping(pc *poller.Conn, limit int) error {
	return pc.WriteLimit(pingFrame, limit)
}

func (wsTransport) Pongs() bool { return true }

func (wsTransport) Reads() bool { return true }

// Close queues the close frame (RFC 6455 section 5.5.1) and waits for the
// peer's.
func (t wsTransport) Close(pc *poller.Conn, code uint16, reason string, drop bool) int {
	var b []byte
	if t.pusher && code >= 4000 {
		b = errorFrame(protocol.ErrorCode(code), reason)
	}
	n := len(b)
	pc.CloseWith(frame.AppendClose(b, frame.StatusCode(code), reason), drop)
	return n
}
