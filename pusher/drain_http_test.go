package pusher

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Once net/http has stopped serving (the hand-off listener is closed), a
// connection still queued for it, and one handed off after, are
// answered 503 with Retry-After and a JSON body, over real TCP, with the
// request's body unread on the server side: the answer arrives, not a
// reset.
func TestHandoffAfterCloseAnswers503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pair := func() (server, client net.Conn) {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		server, err = ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		// A publish whose body the node never reads.
		_, _ = io.WriteString(client, "POST /apps/app-id/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n"+strings.Repeat("x", 2000))
		return server, client
	}
	l := newHandoffListener(ln.Addr(), 4)
	queuedServer, queued := pair()
	l.push(&prefixConn{Conn: queuedServer})
	_ = l.Close()
	lateServer, late := pair()
	l.push(&prefixConn{Conn: lateServer})
	for name, c := range map[string]net.Conn{"queued": queued, "late": late} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s connection: no HTTP answer: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s connection answered %d, Retry-After %q, body %q; want 503, a Retry-After and a JSON error",
				name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
}
