package protocol

import (
	"encoding/json"
	"testing"
)

// TestEncodeGolden pins the exact bytes each encoder writes: clients and
// the interop tests read these events.
func TestEncodeGolden(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"event", AppendEvent(nil, "e", "c", `"d"`, "u"), `{"event":"e","channel":"c","data":"d","user_id":"u"}`},
		{"event bare", AppendEvent(nil, EventPong, "", "{}", ""), `{"event":"pusher:pong","data":{}}`},
		{"event escaped", AppendEvent(nil, "a\"b", "c\\d", "", "\n"), `{"event":"a\"b","channel":"c\\d","user_id":"\n"}`},
		{"error", AppendError(nil, CodeUnknownEvent, "unknown event x"), `{"event":"pusher:error","data":{"message":"unknown event x","code":4305}}`},
		{"error null", AppendError(nil, CodeNull, ExistingSubscription("private-a")), `{"event":"pusher:error","data":{"code":null,"message":"Existing subscription to channel private-a"}}`},
		{"established", AppendEstablished(nil, "1.2", 120), `{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"}`},
		{"subscription error", AppendSubscriptionError(nil, "private-a", "AuthError", "invalid signature", 401), `{"event":"pusher:subscription_error","channel":"private-a","data":"{\"type\":\"AuthError\",\"error\":\"invalid signature\",\"status\":401}"}`},
		{"signin success", AppendSigninSuccess(nil, `{"id":"u1"}`), `{"event":"pusher:signin_success","data":"{\"user_data\":\"{\\\"id\\\":\\\"u1\\\"}\"}"}`},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, tt.got, tt.want)
		}
		if !json.Valid(tt.got) {
			t.Errorf("%s: not JSON: %s", tt.name, tt.got)
		}
	}
}

// TestAppendJSONString checks the encoder against encoding/json's reading
// of what it wrote, for the cases that need escaping.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "\x00\x01\x1f\x7f", "\n\r\t", "héllo ☃ 🎉", "bad \xff utf8 \xc3", "</script>\u2028"} {
		b := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, b, err)
		}
		want := string([]rune(s)) // invalid UTF-8 becomes U+FFFD
		if back != want {
			t.Errorf("%q: round trip gave %q", s, back)
		}
	}
	if got := string(AppendJSONString(nil, "\x01")); got != `"\u0001"` {
		t.Errorf(`"\x01" encoded as %s`, got)
	}
}

func TestStringData(t *testing.T) {
	if got := StringData([]byte(`{"a":"b"}`)); got != `"{\"a\":\"b\"}"` {
		t.Errorf("StringData = %s", got)
	}
}
