package pusher

import (
	"strconv"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/protocol"
)

// sseTransport writes a text/event-stream (WHATWG HTML, "Server-sent
// events"): events in their SSE encoding, comment lines as heartbeats, no
// close handshake.
type sseTransport struct{}

var eventStream sseTransport

func (sseTransport) Name() string { return "sse" }

func (sseTransport) Send(pc *poller.Conn, b []byte, limit int) error {
	return pc.WriteLimit(b, limit)
}

func (sseTransport) SendBatch(pc *poller.Conn, bs [][]byte, limit int) error {
	return pc.WriteBatch(bs, limit)
}

// ssePing is the heartbeat: a comment line, which EventSource ignores.
var ssePing = []byte(": ping\n\n")

// Ping writes a comment line: an SSE client never answers, so there is no
// pong to wait for; a dead peer shows as an error or a full queue.
func (sseTransport) Ping(pc *poller.Conn, limit int) error {
	return pc.WriteLimit(ssePing, limit)
}

func (sseTransport) Pongs() bool { return false }

func (sseTransport) Reads() bool { return false }

// Close writes a last pusher:error event, then FIN.
func (sseTransport) Close(pc *poller.Conn, code uint16, reason string, drop bool) int {
	b := sseClose(code, reason)
	pc.CloseWith(b, drop)
	pc.Close()
	return len(b)
}

// sseClose is the last event of a stream closed by the server: a
// pusher:error with the Pusher close code, as a WebSocket client gets
// before its close frame.
func sseClose(code uint16, reason string) []byte {
	d := strconv.AppendInt([]byte(`{"code":`), int64(code), 10)
	d = protocol.AppendJSONString(append(d, `,"message":`...), reason)
	d = append(d, '}')
	return appendSSE(nil, "pusher:error", "", protocol.StringData(d), "", broker.Position{}, false)
}
