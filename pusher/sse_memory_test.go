//go:build !race

package pusher_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

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
