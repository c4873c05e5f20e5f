package bench

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// TestSplitDelivery serves the handshake and every frame one byte at a
// time, so the client must reassemble partial responses and frames.
func TestSplitDelivery(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go trickle(c)
		}
	}()
	res, err := Execute(testCtx(t), Options{Scenario: "connect", URLs: []string{"ws://" + l.Addr().String()},
		Conns: 3, Workers: 1, Duration: 10 * time.Millisecond, Quiet: true}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 3 || res.Failed != 0 {
		t.Fatalf("subscribed %d failed %d %v", res.Subscribed, res.Failed, res.Failures)
	}
}

// trickle is a minimal Pusher server that writes byte by byte.
func trickle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	if _, err := http.ReadRequest(br); err != nil {
		return
	}
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
	ws.WriteFrame(&out, ws.NewTextFrame([]byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.1\"}"}`)))
	for _, b := range out.Bytes() {
		c.Write([]byte{b})
		time.Sleep(100 * time.Microsecond)
	}
	// Wait for the subscribe frame, then answer in pieces too.
	if _, err := ws.ReadFrame(br); err != nil {
		return
	}
	out.Reset()
	ws.WriteFrame(&out, ws.NewTextFrame([]byte(`{"event":"pusher_internal:subscription_succeeded","channel":"bench-0","data":"{}"}`)))
	for _, b := range out.Bytes() {
		c.Write([]byte{b})
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for { // until the client closes
		if _, err := ws.ReadFrame(br); err != nil {
			return
		}
	}
}
