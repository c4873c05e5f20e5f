package pusher

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
)

// sseClient is a raw event-stream reader over TCP: the response head as
// net/http parses it, then the body read line by line as an EventSource
// does (WHATWG HTML, "Parsing an event stream").
type sseClient struct {
	t    testing.TB
	conn net.Conn
	resp *http.Response
	r    *bufio.Reader
	body []byte // the error body when the status is not 200
}

// sseEvent is one dispatched event; comments are collected apart.
type sseEvent struct {
	Event, Data, ID string
	Comments        []string
}

// dialSSE sends GET path with the headers and reads the response head.
func dialSSE(t testing.TB, addr, path string, header map[string]string) *sseClient {
	t.Helper()
	return dialSSEWith(t, &net.Dialer{Timeout: 5 * time.Second}, addr, path, header)
}

// dialSSEWith is dialSSE through d.
func dialSSEWith(t testing.TB, d *net.Dialer, addr, path string, header map[string]string) *sseClient {
	t.Helper()
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\n"
	for k, v := range header {
		req += k + ": " + v + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	c := &sseClient{t: t, conn: nc, r: bufio.NewReader(nc)}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	c.resp, err = http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if c.resp.StatusCode != http.StatusOK {
		c.body, _ = io.ReadAll(c.resp.Body)
	}
	return c
}

// next reads the next event, failing the test after d.
func (c *sseClient) next(d time.Duration) sseEvent {
	c.t.Helper()
	ev, err := c.read(d)
	if err != nil {
		c.t.Fatalf("reading the stream: %v", err)
	}
	return ev
}

// read parses lines up to the blank line that dispatches an event; a
// block of comment lines alone comes back as an event with only Comments.
func (c *sseClient) read(d time.Duration) (sseEvent, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	var ev sseEvent
	var data []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if ev.Event != "" || len(data) > 0 || len(ev.Comments) > 0 {
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			ev.Comments = append(ev.Comments, strings.TrimSpace(line[1:]))
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		case "id":
			ev.ID = value
		}
	}
}

// untilEOF reads events until the server ends the stream; it fails the
// test if that does not happen within d.
func (c *sseClient) untilEOF(d time.Duration) []sseEvent {
	c.t.Helper()
	var out []sseEvent
	for {
		ev, err := c.read(d)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return out
		}
		if err != nil {
			c.t.Fatalf("stream not ended: %v (after %d events)", err, len(out))
		}
		out = append(out, ev)
	}
}

// payload decodes an event's data: {"channel": ..., "data": ...}.
func (ev sseEvent) payload(t testing.TB) (channel, data string) {
	t.Helper()
	var p struct {
		Channel string `json:"channel"`
		Data    string `json:"data"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &p); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	return p.Channel, p.Data
}

// publish publishes one event with string data on the test server.
func publish(t testing.TB, s *Server, app, channel, event, data string) {
	t.Helper()
	p := broker.Publication{App: app, Channel: channel, Event: event, Data: string(protocol.AppendJSONString(nil, data))}
	if err := s.Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// waitSubscribers waits until channel of "app-id" has n local subscribers.
func waitSubscribers(t testing.TB, s *Server, channel string, n int) {
	t.Helper()
	waitFor(t.(*testing.T), channel+" subscribed", func() bool {
		ch := s.hub.Lookup(shard.Key{App: "app-id", Name: channel})
		if ch == nil {
			return n == 0
		}
		// A stream joins its channels just before it turns open, and only
		// open connections are written to: count those.
		open := 0
		for _, c := range ch.Snapshot(nil) {
			if c.state.Phase() == session.Open {
				open++
			}
		}
		return ch.Len() == n && open == n
	})
}

// pubOf is a publication of string data to channel of "app-id".
func pubOf(channel, data string) broker.Publication {
	return broker.Publication{App: "app-id", Channel: channel, Event: "e", Data: string(protocol.AppendJSONString(nil, data))}
}

// ssePath is the stream path of key for the channels, plus extra query.
func ssePath(key, extra string, channels ...string) string {
	q := make([]string, 0, len(channels)+1)
	for _, c := range channels {
		q = append(q, "channel="+url.QueryEscape(c))
	}
	if extra != "" {
		q = append(q, extra)
	}
	return "/app/" + key + "/sse?" + strings.Join(q, "&")
}
