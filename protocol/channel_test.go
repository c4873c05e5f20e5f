package protocol

import (
	"strings"
	"testing"
)

// TestKindRules holds every channel kind of the Pusher docs against every
// rule: the kind, auth, client events, presence, cache, encrypted, user,
// listed.
func TestKindRules(t *testing.T) {
	type rules struct {
		base                                                   ChannelKind
		auth, client, presence, cache, encrypted, user, listed bool
		str                                                    string
	}
	tests := []struct {
		name string
		want rules
	}{
		{"my-channel", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"cache-prices", rules{KindPublic, false, false, false, true, false, false, true, "public cache"}},
		{"private-chat", rules{KindPrivate, true, true, false, false, false, false, true, "private"}},
		{"private-cache-chat", rules{KindPrivate, true, true, false, true, false, false, true, "private cache"}},
		{"private-encrypted-chat", rules{KindEncrypted, true, false, false, false, true, false, true, "private-encrypted"}},
		{"private-encrypted-cache-chat", rules{KindEncrypted, true, false, false, true, true, false, true, "private-encrypted cache"}},
		{"presence-room", rules{KindPresence, true, true, true, false, false, false, true, "presence"}},
		{"presence-cache-room", rules{KindPresence, true, true, true, true, false, false, true, "presence cache"}},
		{"#server-to-user-42", rules{KindUser, false, false, false, false, false, true, false, "server-to-user"}},
		// Prefixes count only at the start, and only as a whole.
		{"private", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"privatechat", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"Private-chat", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"my-private-chat", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"presence", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"cache", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"private-encrypted", rules{KindPrivate, true, true, false, false, false, false, true, "private"}},
		{"private-cache-encrypted-x", rules{KindPrivate, true, true, false, true, false, false, true, "private cache"}},
		{"cache-private-x", rules{KindPublic, false, false, false, true, false, false, true, "public cache"}},
		{"presence-private-x", rules{KindPresence, true, true, true, false, false, false, true, "presence"}},
		{"server-to-user-42", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
		{"", rules{KindPublic, false, false, false, false, false, false, true, "public"}},
	}
	for _, tt := range tests {
		k := KindOf(tt.name)
		got := rules{k.Base(), k.NeedsAuth(), k.ClientEvents(), k.Presence(), k.Cache(), k.Encrypted(), k.User(), k.Listed(), k.String()}
		if got != tt.want {
			t.Errorf("KindOf(%q) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestValidChannelName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"a", true},
		{"private-encrypted-cache-x", true},
		{"-_=@,.;AZaz09", true},
		{strings.Repeat("x", MaxChannelName), true},
		{strings.Repeat("x", MaxChannelName+1), false},
		{"", false},
		{"a b", false},
		{"a:b", false},
		{"a/b", false},
		{"#server-to-user-1", false},
		{"é", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		if got := ValidChannelName(tt.name); got != tt.want {
			t.Errorf("ValidChannelName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserChannel(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"#server-to-user-42", "42", true},
		{"#server-to-user-a b:é", "a b:é", true},
		{UserChannel(strings.Repeat("u", MaxUserID)), strings.Repeat("u", MaxUserID), true},
		{UserChannel(strings.Repeat("u", MaxUserID+1)), "", false},
		{"#server-to-user-", "", false},
		{"#server-to-user-a\nb", "", false},
		{"#server-to-user-a\rb", "", false},
		{"#server-to-user-a\x00", "", false},
		{"server-to-user-42", "", false},
		{"private-42", "", false},
	}
	for _, tt := range tests {
		id, ok := UserOf(tt.name)
		if id != tt.id || ok != tt.ok || ValidUserChannel(tt.name) != tt.ok {
			t.Errorf("UserOf(%q) = %q, %v, want %q, %v", tt.name, id, ok, tt.id, tt.ok)
		}
		if ok && UserChannel(id) != tt.name {
			t.Errorf("UserChannel(%q) = %q, want %q", id, UserChannel(id), tt.name)
		}
	}
}
