package pusher_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
)

// dialIdleStream opens an event stream of channel idle-(i%100) from src
// and reads its response head; the client holds the raw TCP stream.
func dialIdleStream(addr string, src net.IP, i int) (net.Conn, error) {
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 30 * time.Second}
	c, err := nd.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = fmt.Fprintf(c, "GET /app/%s/sse?channel=idle-%d HTTP/1.1\r\nHost: %s\r\n\r\n", config.DevAppKey, i%100, addr)
	if err == nil {
		var resp *http.Response
		if resp, err = http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("stream %d: status %d", i, resp.StatusCode)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// TestIdleStreamsFewGoroutines: 10,000 idle event streams (clients in a
// child process) and fewer than 100 goroutines in the server's process.
func TestIdleStreamsFewGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 connections")
	}
	fewGoroutines(t, idleClients{sse: true})
}
