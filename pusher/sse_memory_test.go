package pusher_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
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

// TestIdleStreamMemoryVsWebSocket measures the RSS slope per idle
// subscribed connection between 2,000 and 8,000 connections, for event
// streams and for WebSockets, each against a fresh in-process node whose
// clients run in a child process. It requires the stream's slope within 10%
// of the WebSocket's, or within 64 B (allocator rounding at this scale).
func TestIdleStreamMemoryVsWebSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("16,000 connections")
	}
	const low, high = 2000, 8000
	slope := func(sse bool) (s float64) {
		t.Run(fmt.Sprintf("sse=%t", sse), func(t *testing.T) { s = idleSlope(t, sse, low, high) })
		return s
	}
	ws := slope(false)
	sse := slope(true)
	t.Logf("RSS slope per idle connection: WebSocket %.0f B, SSE %.0f B (ratio %s)", ws, sse, strconv.FormatFloat(sse/ws, 'f', 2, 64))
	if sse > ws*1.10 && sse-ws > 64 {
		t.Errorf("SSE %.0f B per idle connection, WebSocket %.0f B: more than 10%% over", sse, ws)
	}
}

// idleSlope is the RSS slope of a fresh node between low and high idle
// connections; the node and the clients go when t ends.
func idleSlope(t *testing.T, sse bool, low, high int) float64 {
	{
		n := fantest.Start(t, fantest.Config(), nil)
		clients := idleClients{addr: n.Addr(), sse: sse}
		clients.start(t, low, 0)
		waitConns(t, n, low)
		rss1, heap1 := settledMemory()
		clients.start(t, high-low, low)
		waitConns(t, n, high)
		rss2, heap2 := settledMemory()
		s := float64(rss2-rss1) / float64(high-low)
		t.Logf("sse=%t: RSS %d -> %d KiB (%.0f B/conn), heap %d -> %d KiB (%.0f B/conn)", sse,
			rss1>>10, rss2>>10, s, heap1>>10, heap2>>10, float64(heap2-heap1)/float64(high-low))
		return s
	}
}
