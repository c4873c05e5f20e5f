package pusher

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws/wsutil"
)

// keptAlive opens a connection to s and has net/http serve one plain
// request on it, which keeps it alive: what follows on it reaches net/http
// first.
func keptAlive(t *testing.T, s *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := bufio.NewReader(nc)
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, "GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 404 || resp.Close {
		t.Fatalf("plain request: %v %+v", err, resp)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nc, r
}

// TestSSEOnKeepAliveConnection: a stream asked for on a connection that
// net/http already serves goes back to the loop and streams like one
// that came first.
func TestSSEOnKeepAliveConnection(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	nc, r := keptAlive(t, s)
	if _, err := io.WriteString(nc, "GET "+ssePath("app-key", "", "news")+" HTTP/1.1\r\nHost: x\r\nLast-Event-ID: x:1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream on the kept-alive connection: %v %+v", err, resp)
	}
	c := &sseClient{t: t, conn: nc, r: r, resp: resp}
	waitSubscribers(t, s, "news", 1)
	publish(t, s, "app-id", "news", "hello", "again")
	if ev := c.next(5 * time.Second); ev.Event != "hello" {
		t.Fatalf("event %+v", ev)
	}
}

// TestUpgradeOnKeepAliveConnection: a WebSocket upgrade on a connection
// that net/http already serves goes back to the loop too, and becomes a
// Pusher connection like one that came first (net/http alone would
// answer 404).
func TestUpgradeOnKeepAliveConnection(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	nc, r := keptAlive(t, s)
	// The upgrade and a subscribe frame behind it in one write: the frame
	// must not be lost on the way back to the loop.
	var req bytes.Buffer
	req.WriteString("GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if err := wsutil.WriteClientText(&req, []byte(`{"event":"pusher:subscribe","data":{"channel":"news"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade on the kept-alive connection: %v %+v", err, resp)
	}
	msg, err := wsutil.ReadServerText(struct {
		io.Reader
		io.Writer
	}{r, nc})
	var ev struct{ Event string }
	if err != nil || json.Unmarshal(msg, &ev) != nil || ev.Event != "pusher:connection_established" {
		t.Fatalf("first message %q %v, want pusher:connection_established", msg, err)
	}
	msg, err = wsutil.ReadServerText(struct {
		io.Reader
		io.Writer
	}{r, nc})
	if err != nil || json.Unmarshal(msg, &ev) != nil || ev.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("second message %q %v, want the pipelined subscribe's subscription_succeeded", msg, err)
	}
}

// TestEncodedStreamPathIsAnsweredOnce: targets that only decode to an
// event-stream path (percent-encoding, the absolute form) are not streams
// to the loop, so net/http must answer them too, once, rather than hand
// them back to a loop that hands them off again (which spun a core and
// kept the socket for ever).
func TestEncodedStreamPathIsAnsweredOnce(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	for _, target := range []string{
		"/app/app-key/%73se?channel=news",
		"/app/app-key%2Fsse?channel=news",
		"http://x/app/app-key/sse?channel=news",
	} {
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(nc, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("%s: no answer: %v", target, err)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want net/http's 404", target, resp.StatusCode)
		}
		nc.Close()
	}
}

// TestOversizedRequestIsAJSONError: a request head over the limit (an
// event-stream query of a thousand channels, say) is refused with 431
// and a JSON error body, as every error of the streams and the API is.
func TestOversizedRequestIsAJSONError(t *testing.T) {
	s := sseServer(t, sseApp(AuthOff))
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	q := strings.Repeat("channel=some-channel-name&", 1000)
	if _, err := io.WriteString(nc, "GET /app/app-key/sse?"+q+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Error string }
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || json.Unmarshal(body, &e) != nil || e.Error == "" {
		t.Fatalf("%d %q, want 431 with {\"error\": ...}", resp.StatusCode, body)
	}
}
