package pusher

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// A request that finds net/http's queue full is answered 503 with
// Retry-After, never dropped without a word; queued ones are accepted.
func TestHandoffOverflowAnswers503(t *testing.T) {
	l := newHandoffListener(&net.TCPAddr{}, 1)
	defer l.Close()
	queuedServer, queuedClient := net.Pipe()
	defer queuedClient.Close()
	l.push(queuedServer)
	overServer, overClient := net.Pipe()
	defer overClient.Close()
	l.push(overServer) // the queue holds one: this one overflows

	_ = overClient.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(overClient), nil)
	if err != nil {
		t.Fatalf("overflowed request got no HTTP answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("overflow answered %d, Retry-After %q; want 503 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if c, err := l.Accept(); err != nil || c != queuedServer {
		t.Fatalf("Accept: %v %v, want the queued connection", c, err)
	}
}
