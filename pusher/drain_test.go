package pusher

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
)

// Drain: Ready turns false and new sockets are refused at once; frames
// queued before the drain reach each client ahead of its 4200 close; Drain
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
	if nc, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		// The kernel may still complete a handshake racing the close of
		// the listener; such a socket must never be served.
		_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := nc.Write([]byte("GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\n\r\n")); err == nil {
			if n, _ := nc.Read(make([]byte, 1)); n > 0 {
				t.Error("a new connection was served while draining")
			}
		}
		nc.Close()
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
