package fantest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Stream is an event stream (GET /app/{key}/sse) on a plain node, read
// as an EventSource reads it (WHATWG HTML, "Parsing an event stream"):
// the response head as net/http parses it, then one event per blank line.
type Stream struct {
	// Status is the response's status code; Body is its body when it is
	// not 200.
	Status int
	Body   string
	conn   net.Conn
	r      *bufio.Reader
}

// StreamEvent is one dispatched event: its name, its data lines joined
// with "\n", its id.
type StreamEvent struct{ Event, Data, ID string }

// StreamPath is the stream path of app key for the channels.
func StreamPath(key string, channels ...string) string {
	q := make([]string, len(channels))
	for i, c := range channels {
		q[i] = "channel=" + url.QueryEscape(c)
	}
	return "/app/" + key + "/sse?" + strings.Join(q, "&")
}

// DialStream sends GET path to the node and reads the response head, for
// at most 10 s. Any goroutine; the caller closes the stream.
func (n *Node) DialStream(path string) (*Stream, error) {
	nc, err := net.DialTimeout("tcp", n.Addr(), 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, n.Addr()); err != nil {
		nc.Close()
		return nil, err
	}
	s := &Stream{conn: nc, r: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s.Status = resp.StatusCode
	if s.Status != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		s.Body = string(b)
	}
	_ = nc.SetDeadline(time.Time{})
	return s, nil
}

// Next reads the next event, skipping comments (heartbeats); it waits
// until one arrives, the stream ends or Close is called.
func (s *Stream) Next() (StreamEvent, error) {
	var ev StreamEvent
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch field, value, _ := strings.Cut(line, ":"); {
		case line == "":
			if ev.Event != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				return ev, nil
			}
		case field == "event":
			ev.Event = strings.TrimPrefix(value, " ")
		case field == "data":
			data = append(data, strings.TrimPrefix(value, " "))
		case field == "id":
			ev.ID = strings.TrimPrefix(value, " ")
		}
	}
}

// Payload is the published data an event carries: the data member of
// {"channel": ..., "data": ...}.
func (ev StreamEvent) Payload() (channel, data string, err error) {
	var p struct {
		Channel string `json:"channel"`
		Data    string `json:"data"`
	}
	err = json.Unmarshal([]byte(ev.Data), &p)
	return p.Channel, p.Data, err
}

// Close ends the stream from the client's side.
func (s *Stream) Close() error { return s.conn.Close() }
