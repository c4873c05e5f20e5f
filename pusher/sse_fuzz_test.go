package pusher

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
)

// FuzzAppendSSE: whatever an event's name, channel, data and position,
// its encoding is one event of the event-stream format (WHATWG HTML,
// "Parsing an event stream"): field lines only, ending in one blank line,
// and the data lines joined with "\n" give back the JSON that was meant,
// when the data was JSON.
func FuzzAppendSSE(f *testing.F) {
	f.Add("my-event", "news", `"hello"`, "", "ep", uint64(3), false)
	f.Add("a\nb", "a,b", "{\r\n\"x\": 1\n}", "u1", "e:p", uint64(0), true)
	f.Add("", "", "", "", "", uint64(1), false)
	f.Fuzz(func(t *testing.T, event, channel, data, user, epoch string, offset uint64, tagged bool) {
		pos := broker.Position{Epoch: epoch, Offset: offset}
		if epoch == "" {
			pos = broker.Position{}
		}
		b := string(appendSSE(nil, event, channel, data, user, pos, tagged))
		if !strings.HasSuffix(b, "\n\n") || strings.Count(b, "\n\n") != 1 {
			t.Fatalf("not one event: %q", b)
		}
		var dataLines []string
		for _, line := range strings.Split(strings.TrimSuffix(b, "\n\n"), "\n") {
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "event", "id":
			case "data":
				dataLines = append(dataLines, value)
			default:
				t.Fatalf("line %q in %q", line, b)
			}
			if strings.ContainsAny(line, "\r\x00") {
				t.Fatalf("CR or NUL in line %q", line)
			}
		}
		if !json.Valid([]byte(data)) || strings.ContainsRune(data, 0) {
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(strings.Join(dataLines, "\n")), &got); err != nil {
			t.Fatalf("data %q of %q: %v", dataLines, data, err)
		}
		if data != "" && got["data"] == nil {
			t.Fatalf("data member lost: %q", dataLines)
		}
	})
}

// FuzzSSEParseResume: any Last-Event-ID or query is read without panic,
// and a resume only ever names a channel of the stream.
func FuzzSSEParseResume(f *testing.F) {
	f.Add("channel=orders-1&channel=orders-2", "ep:4 orders-1")
	f.Add("channel=orders-1&last_event_id=ep:1", "")
	f.Add("channel=%zz", "x y z")
	s := &Server{}
	s.apps.Store(&appRegistry{byID: map[string]*App{"a": {ID: "a", MaxChannels: 100,
		History: []HistoryRule{{Pattern: "orders-*", Size: 1}}}}})
	f.Fuzz(func(t *testing.T, query, lastID string) {
		r := &sseRequest{head: frame.RequestHead{RawQuery: query, LastEventID: lastID}, app: s.AppByID("a")}
		if status, _ := s.sseParse(r); status != 0 || r.resume == "" {
			return
		}
		for _, c := range r.channels {
			if c == r.resume {
				return
			}
		}
		t.Fatalf("resume %q is not among %q", r.resume, r.channels)
	})
}
