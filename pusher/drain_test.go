package pusher

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
)

// Drain: Ready turns false and a new upgrade is refused with HTTP 503 (the
// listener stays open for plain HTTP until the last close); frames queued
// before the drain reach each client ahead of its 4200 close; Drain
// returns once every connection is gone.
func TestDrainFlushesThenClosesWith4200(t *testing.T) {
	s := startRealServer(t, Options{})
	url := "ws://" + s.Addr().String() + "/app/app-key?protocol=7"
	var clients []*wsClient
	for range 5 {
		c := dialWS(t, url, nil)
		c.subscribe("news")
		clients = append(clients, c)
	}
	s.Deliver(broker.Publication{App: "app-id", Channel: "news", Event: "last-words", Data: `"bye"`})
	done := make(chan error, 1)
	go func() { done <- s.Drain(context.Background(), time.Second) }()
	waitFor(t, "Ready to report draining", func() bool { return s.Ready() != nil })
	nc, err := net.DialTimeout("tcp", s.Addr().String(), time.Second)
	if err != nil {
		t.Fatalf("the listener closed before the drain ended: %v", err)
	}
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = nc.Write([]byte("GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
	status, _ := bufio.NewReader(nc).ReadString('\n')
	nc.Close()
	if !strings.HasPrefix(status, "HTTP/1.1 503") {
		t.Errorf("an upgrade during the drain got %q, want HTTP 503", status)
	}
	for i, c := range clients {
		code, events := c.closeCode()
		c.conn.Close() // a client that reconnects at once
		if code != 4200 {
			t.Errorf("client %d closed with %d, want 4200", i, code)
		}
		if len(events) == 0 || events[0] != "last-words" {
			t.Errorf("client %d saw %v before the close, want the queued event first", i, events)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Drain: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Drain never returned")
	}
	if s.Conns() != 0 {
		t.Fatalf("%d connections left after Drain", s.Conns())
	}
}
