package bench

import (
	"encoding/json"
	"testing"
)

func TestStringField(t *testing.T) {
	msg := []byte(`{"event" : "bench","channel":"c-1","data":"a\"b"}`)
	if v, ok := stringField(msg, "event"); !ok || string(v) != "bench" {
		t.Fatalf("event %q %v", v, ok)
	}
	if v, ok := stringField(msg, "data"); !ok || string(v) != `a\"b` {
		t.Fatalf("data %q %v", v, ok)
	}
	if _, ok := stringField([]byte(`{"data":{}}`), "data"); ok {
		t.Fatal("object accepted as string")
	}
}

func TestBenchDataRoundTrip(t *testing.T) {
	d := appendBenchData(nil, 42, 1700000000123456789, 100)
	if len(d) != 100 {
		t.Fatalf("len %d", len(d))
	}
	// It must survive being a JSON string unchanged.
	q, _ := json.Marshal(string(d))
	if string(q[1:len(q)-1]) != string(d) {
		t.Fatal("data needs escaping")
	}
	seq, ns, ok := parseBenchData(d)
	if !ok || seq != 42 || ns != 1700000000123456789 {
		t.Fatalf("got %d %d %v", seq, ns, ok)
	}
}

func FuzzParseBenchData(f *testing.F) {
	f.Add([]byte("bench:1:2:xx"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseBenchData(b)
		stringField(b, "data")
	})
}

func TestSocketID(t *testing.T) {
	msg := []byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"123.456\",\"activity_timeout\":120}"}`)
	if got := socketID(msg); got != "123.456" {
		t.Fatalf("socket id %q", got)
	}
}

// socketID reads server input: whatever arrives, it returns without
// panicking, and finds an id that is there.
func FuzzSocketID(f *testing.F) {
	f.Add("123.456")
	f.Add(`\"`)
	f.Fuzz(func(t *testing.T, id string) {
		inner, _ := json.Marshal(map[string]string{"socket_id": id})
		msg, _ := json.Marshal(map[string]string{"event": "pusher:connection_established", "data": string(inner)})
		got := socketID(msg)
		if got != id && json.Valid(msg) && !needsEscape(id) {
			t.Fatalf("socket id %q, want %q", got, id)
		}
	})
}

// needsEscape reports whether JSON encodes s with escapes, which
// socketID returns still escaped (real socket ids are digits and a dot).
func needsEscape(s string) bool {
	b, _ := json.Marshal(s)
	return string(b) != `"`+s+`"`
}
