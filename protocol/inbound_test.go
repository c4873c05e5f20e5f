package protocol

import (
	"errors"
	"testing"
)

func TestDecodeInbound(t *testing.T) {
	tests := []struct {
		in      string
		event   string
		channel string
		data    string
		ok      bool
	}{
		{`{"event":"pusher:ping","data":{}}`, "pusher:ping", "", "{}", true},
		{`{"event":"client-x","channel":"private-a","data":"\"s\""}`, "client-x", "private-a", `"\"s\""`, true},
		{`{"event":"client-x","channel":"private-a","data":null}`, "client-x", "private-a", "null", true},
		{`{"event":"e"}`, "e", "", "", true},
		{` {"event" : "e" , "extra": [1,2]} `, "e", "", "", true},
		{`{"event":""}`, "", "", "", false},
		{`{}`, "", "", "", false},
		{`[]`, "", "", "", false},
		{`"x"`, "", "", "", false},
		{`{"event":1}`, "", "", "", false},
		{`{"event":"e"`, "", "", "", false},
		{``, "", "", "", false},
	}
	for _, tt := range tests {
		ev, err := DecodeInbound([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("DecodeInbound(%s) err = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			var pe Error
			if !errors.As(err, &pe) || pe.Code != CodeInvalidMessage {
				t.Errorf("DecodeInbound(%s) err = %v, want CodeInvalidMessage", tt.in, err)
			}
			continue
		}
		if ev.Event != tt.event || ev.Channel != tt.channel || string(ev.Data) != tt.data {
			t.Errorf("DecodeInbound(%s) = %+v", tt.in, ev)
		}
	}
}

// TestUnmarshalData reads data sent as an object and as a string holding
// one, as pusher-js and other clients do.
func TestUnmarshalData(t *testing.T) {
	for _, raw := range []string{`{"channel":"private-a","auth":"k:s"}`, `"{\"channel\":\"private-a\",\"auth\":\"k:s\"}"`} {
		var d Subscribe
		if err := UnmarshalData([]byte(raw), &d); err != nil || d.Channel != "private-a" || d.Auth != "k:s" {
			t.Errorf("UnmarshalData(%s) = %+v, %v", raw, d, err)
		}
	}
	var d Unsubscribe
	for _, raw := range []string{``, `"{"`, `"\"x"`, `[`} {
		if err := UnmarshalData([]byte(raw), &d); err == nil {
			t.Errorf("UnmarshalData(%s) accepted", raw)
		}
	}
}

func TestUserIDString(t *testing.T) {
	for raw, want := range map[string]string{`"u1"`: "u1", `42`: "42", `4.5e1`: "4.5e1", `null`: "", `{}`: "", `true`: "", ``: ""} {
		if got := UserIDString([]byte(raw)); got != want {
			t.Errorf("UserIDString(%s) = %q, want %q", raw, got, want)
		}
	}
}

func TestIsClientEvent(t *testing.T) {
	for ev, want := range map[string]bool{"client-typing": true, "client-": true, "client": false, "pusher:ping": false, "Client-x": false} {
		if IsClientEvent(ev) != want {
			t.Errorf("IsClientEvent(%q) != %v", ev, want)
		}
	}
}
