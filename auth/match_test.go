package auth

import "testing"

func TestMatchChannel(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		channel  string
		want     bool
	}{
		{[]string{"private-user.42.*"}, "private-user.42.inbox", true},
		{[]string{"private-user.42.*"}, "private-user.42.", true},
		{[]string{"private-user.42.*"}, "private-user.421.inbox", false},
		{[]string{"private-user.42.*"}, "private-user.42", false},
		{[]string{"presence-*"}, "presence-room", true},
		{[]string{"presence-*"}, "private-room", false},
		{[]string{"*"}, "anything", true},
		{[]string{"*"}, "", true},
		{[]string{"a*b*c"}, "abc", true},
		{[]string{"a*b*c"}, "aXXbYYbZZc", true},
		{[]string{"a*b*c"}, "aXXbYYcZZ", false},
		{[]string{"*-room"}, "presence-room", true},
		{[]string{"*-room"}, "presence-rooms", false},
		{[]string{"exact"}, "exact", true},
		{[]string{"exact"}, "exactly", false},
		{[]string{"**x"}, "aax", true},
		{[]string{"x", "y*"}, "yes", true},
		{nil, "x", false},
		{[]string{""}, "", true},
		{[]string{""}, "x", false},
		{[]string{"a?c"}, "abc", false}, // only * is special
	} {
		if got := MatchChannel(c.patterns, c.channel); got != c.want {
			t.Errorf("MatchChannel(%q, %q) = %v, want %v", c.patterns, c.channel, got, c.want)
		}
	}
}
