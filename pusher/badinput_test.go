package pusher_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
)

// badGuard bounds every read so a server that never answers fails the
// test instead of hanging it; no pass/fail depends on how fast it answers.
const badGuard = 10 * time.Second

// TestBadInput sends each kind of bad input on its own connection and
// checks its specific answer (close code, HTTP status or pusher:error); after each, a bystander
// subscribed on another connection still receives a publish.
func TestBadInput(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]
	bystander := fantest.Dial(t, n.URL(app.Key), nil)
	bystander.Subscribe("bystander")
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"upgrade without Sec-WebSocket-Key", func(t *testing.T) {
			badHTTP(t, n.Addr(), "GET "+appPath(app.Key, "protocol=7")+" HTTP/1.1\r\nHost: x\r\n"+
				"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", http.StatusBadRequest)
		}},
		{"upgrade with a bad Sec-WebSocket-Version", func(t *testing.T) {
			badHTTP(t, n.Addr(), "GET "+appPath(app.Key, "protocol=7")+" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"+
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n",
				http.StatusBadRequest, http.StatusUpgradeRequired)
		}},
		{"garbage request line", func(t *testing.T) {
			badHTTP(t, n.Addr(), "\x16\x03\x01\x00\xa5garbage\x00\xff\r\n\r\n", http.StatusBadRequest)
		}},
		{"garbage bytes after the upgrade", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			badWrite(t, c.Conn, []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37})
			badClose(t, c, 1002)
		}},
		{"unmasked frame", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			msg := []byte(`{"event":"pusher:ping","data":{}}`)
			badWrite(t, c.Conn, append([]byte{0x81, byte(len(msg))}, msg...))
			badClose(t, c, 1002)
		}},
		{"oversize frame", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			// Only the header of a 1 MiB frame: the length alone is refused.
			h := []byte{0x81, 0x80 | 127}
			h = binary.BigEndian.AppendUint64(h, 1<<20)
			badWrite(t, c.Conn, append(h, 1, 2, 3, 4))
			badClose(t, c, 1009)
		}},
		{"oversize fragmented message", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			chunk := bytes.Repeat([]byte("a"), 40<<10)
			badWrite(t, c.Conn, maskedFrame(false, ws.OpText, chunk))
			badWrite(t, c.Conn, maskedFrame(true, ws.OpContinuation, chunk))
			badClose(t, c, 1009)
		}},
		{"bad UTF-8", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			badWrite(t, c.Conn, maskedFrame(true, ws.OpText, []byte("{\"event\":\"\xed\xa0\x80\"}")))
			badClose(t, c, 1007)
		}},
		{"bad JSON", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			c.SendRaw([]byte(`{"event": "pusher:subscribe", "data": {`))
			badError(t, c, 4300)
			badStillOpen(t, c)
		}},
		{"JSON without an event name", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			c.SendRaw([]byte(`{"data": {"channel": "x"}}`))
			badError(t, c, 4300)
			badStillOpen(t, c)
		}},
		{"binary message", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			badWrite(t, c.Conn, maskedFrame(true, ws.OpBinary, []byte{0, 1, 2}))
			badError(t, c, 4300)
			badStillOpen(t, c)
		}},
		{"unknown event", func(t *testing.T) {
			c := fantest.Dial(t, n.URL(app.Key), nil)
			c.Send("pusher:no_such_event", map[string]string{})
			badError(t, c, 4305)
			badStillOpen(t, c)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t)
			data := fmt.Sprintf("after %d", i)
			if code, body := n.Publish(t, app, "bystander", "tick", data); code != http.StatusOK {
				t.Fatalf("publish: %d %s", code, body)
			}
			if ev := bystander.Expect("tick"); ev.DataString() != data {
				t.Fatalf("bystander got %q, want %q", ev.DataString(), data)
			}
		})
	}
}

// badHTTP writes a raw request and requires one of the HTTP statuses,
// then the server's FIN: no upgrade.
func badHTTP(t *testing.T, addr, req string, want ...int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, badGuard)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	badWrite(t, c, []byte(req))
	_ = c.SetReadDeadline(time.Now().Add(badGuard))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("response to %q: %v", req, err)
	}
	resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	t.Fatalf("status %d, want one of %v", resp.StatusCode, want)
}

func badWrite(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	_ = c.SetWriteDeadline(time.Now().Add(badGuard))
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// maskedFrame is one client frame, masked as RFC 6455 requires.
func maskedFrame(fin bool, op ws.OpCode, p []byte) []byte {
	h := ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: int64(len(p))}
	var b bytes.Buffer
	_ = ws.WriteHeader(&b, h)
	q := bytes.Clone(p)
	ws.Cipher(q, h.Mask, 0)
	return append(b.Bytes(), q...)
}

// badClose requires the server's close frame with code.
func badClose(t *testing.T, c *fantest.Client, want ws.StatusCode) {
	t.Helper()
	code, err := c.CloseCode(badGuard)
	if err != nil {
		t.Fatalf("no close frame: %v", err)
	}
	if code != want {
		t.Fatalf("close code %d, want %d", code, want)
	}
}

// badError requires a pusher:error event with code.
func badError(t *testing.T, c *fantest.Client, want int) {
	t.Helper()
	ev, err := c.NextErr(badGuard)
	if err != nil {
		t.Fatalf("no pusher:error: %v", err)
	}
	var d struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	raw := []byte(ev.DataString())
	if ev.Event != "pusher:error" || json.Unmarshal(raw, &d) != nil || d.Code != want {
		t.Fatalf("got %s %s, want pusher:error with code %d", ev.Event, raw, want)
	}
	if strings.TrimSpace(d.Message) == "" {
		t.Fatalf("pusher:error %d without a message", want)
	}
}

// badStillOpen requires the connection to keep working after an error
// event: a pusher:ping is answered.
func badStillOpen(t *testing.T, c *fantest.Client) {
	t.Helper()
	c.Send("pusher:ping", map[string]string{})
	c.Expect("pusher:pong")
}
