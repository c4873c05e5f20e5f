package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// TestTransportMetrics: an event stream and a WebSocket are counted under
// their transport while open, and leave the gauge when they close.
func TestTransportMetrics(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	app := fantest.Config().Apps[0]
	ws := fantest.Dial(t, n.URL(app.Key), nil)
	nc, err := net.Dial("tcp", n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(nc, "GET /app/%s/sse?channel=news HTTP/1.1\r\nHost: x\r\n\r\n", app.Key)
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	series := func(want map[string]string) {
		t.Helper()
		var text string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			text = string(exposition(t, n))
			ok := true
			for name, v := range want {
				ok = ok && strings.Contains(text, "\n"+name+" "+v+"\n")
			}
			if ok {
				return
			}
		}
		t.Fatalf("want %v in\n%s", want, text)
	}
	series(map[string]string{
		`fanout_transport_connections{transport="sse"}`:                    "1",
		`fanout_transport_connections{transport="websocket"}`:              "1",
		`fanout_transport_connections_opened_total{transport="sse"}`:       "1",
		`fanout_transport_connections_opened_total{transport="websocket"}`: "1",
	})
	nc.Close()
	ws.Conn.Close()
	series(map[string]string{
		`fanout_transport_connections{transport="sse"}`:       "0",
		`fanout_transport_connections{transport="websocket"}`: "0",
	})
}
