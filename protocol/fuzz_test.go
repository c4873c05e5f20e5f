package protocol

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeInbound: decoding never panics; whatever decodes, encoded
// again as a client would send it, decodes to the same message; and an
// accepted message has an event name and JSON data.
func FuzzDecodeInbound(f *testing.F) {
	for _, s := range []string{
		`{"event":"pusher:ping","data":{}}`,
		`{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}}`,
		`{"event":"pusher:subscribe","data":"{\"channel\":\"presence-a\",\"channel_data\":\"{}\"}"}`,
		`{"event":"client-x","channel":"private-a","data":null}`,
		`{"event":"e\u0000\ud800","channel":"\u2028"}`,
		`{"EVENT":"e","Channel":"c","data":[1,{"a":"\ud83c\udf89"}]}`,
		`{"event":"e","event":"f"}`,
		`[]`, `null`, `{"event":"\xff"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := DecodeInbound(payload)
		if err != nil {
			if ev.Event != "" || ev.Channel != "" || ev.Data != nil {
				t.Fatalf("error %v with a message %+v", err, ev)
			}
			return
		}
		if ev.Event == "" {
			t.Fatal("accepted a message without an event name")
		}
		if ev.Data != nil && !json.Valid(ev.Data) {
			t.Fatalf("data is not JSON: %q", ev.Data)
		}
		enc := AppendInbound(nil, ev)
		back, err := DecodeInbound(enc)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", enc, err)
		}
		if back.Event != ev.Event || back.Channel != ev.Channel || !bytes.Equal(back.Data, ev.Data) {
			t.Fatalf("round trip changed %+v into %+v via %s", ev, back, enc)
		}
		var d Subscribe
		_ = UnmarshalData(ev.Data, &d) // never panics
		_ = UserIDString(ev.Data)
	})
}

// validName is the naming rule of the Pusher docs, written as the regular
// expression they give.
var validName = regexp.MustCompile(`^[-a-zA-Z0-9_=@,.;]+$`)

// kindRef is the reference classification, by the documented prefixes.
func kindRef(name string) (base ChannelKind, cache bool) {
	for _, p := range []struct {
		prefix string
		kind   ChannelKind
	}{
		{"private-encrypted-", KindEncrypted},
		{"private-", KindPrivate},
		{"presence-", KindPresence},
		{"#server-to-user-", KindUser},
		{"", KindPublic},
	} {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok {
			return p.kind, p.kind != KindUser && strings.HasPrefix(rest, "cache-")
		}
	}
	panic("unreachable")
}

// FuzzChannelName holds ValidChannelName to the documented regular
// expression and length, and KindOf and its rules to the prefixes.
func FuzzChannelName(f *testing.F) {
	for _, s := range []string{"my-channel", "private-a", "private-encrypted-cache-a", "presence-cache-", "cache-", "#server-to-user-1", "a b", "é", strings.Repeat("a", 165)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := validName.MatchString(name) && len(name) <= MaxChannelName
		if got := ValidChannelName(name); got != want {
			t.Fatalf("ValidChannelName(%q) = %v, want %v", name, got, want)
		}
		k := KindOf(name)
		base, cache := kindRef(name)
		if k.Base() != base || k.Cache() != cache {
			t.Fatalf("KindOf(%q) = %v, want base %v cache %v", name, k, base, cache)
		}
		if k.NeedsAuth() != (base == KindPrivate || base == KindEncrypted || base == KindPresence) ||
			k.ClientEvents() != (base == KindPrivate || base == KindPresence) ||
			k.Presence() != (base == KindPresence) || k.Encrypted() != (base == KindEncrypted) ||
			k.Listed() != (base != KindUser) {
			t.Fatalf("KindOf(%q) = %v: rules disagree with the base kind", name, k)
		}
		if id, ok := UserOf(name); ok {
			if base != KindUser || UserChannel(id) != name || id == "" || len(id) > MaxUserID {
				t.Fatalf("UserOf(%q) = %q", name, id)
			}
		} else if base == KindUser && len(name) > len(UserChannelPrefix) && len(name)-len(UserChannelPrefix) <= MaxUserID && !strings.ContainsAny(name, "\x00\r\n") {
			t.Fatalf("UserOf(%q) refused a valid user channel", name)
		}
		if ValidChannelName(name) && base == KindUser {
			t.Fatalf("%q is both a client channel name and a user channel", name)
		}
	})
}

// FuzzSocketID: ParseSocketID never panics and agrees with
// AppendSocketID both ways.
func FuzzSocketID(f *testing.F) {
	for _, s := range []string{"1.2", "4294967295.4294967295", "0.0", "01.2", "1.", ".1", "4294967296.0", "1.2.3"} {
		f.Add(s, uint64(len(s))<<32|7)
	}
	f.Fuzz(func(t *testing.T, s string, id uint64) {
		if got, ok := ParseSocketID(string(AppendSocketID(nil, id))); !ok || got != id {
			t.Fatalf("id %d does not round trip: %d, %v", id, got, ok)
		}
		got, ok := ParseSocketID(s)
		if !ok {
			return
		}
		again, ok := ParseSocketID(string(AppendSocketID(nil, got)))
		if !ok || again != got {
			t.Fatalf("%q parsed as %d, which does not round trip", s, got)
		}
	})
}

// FuzzAppendJSONString: the output is always valid JSON that encoding/json
// reads back as the input, with invalid UTF-8 replaced by U+FFFD.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f\x7f", "é☃🎉", "\xff\xc3", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendJSONString([]byte("x"), s)[1:]
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if !utf8.ValidString(s) {
			want = string([]rune(s))
		}
		if back != want {
			t.Fatalf("%q read back as %q, want %q", s, back, want)
		}
	})
}
