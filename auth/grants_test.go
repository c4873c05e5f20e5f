package auth

import (
	"slices"
	"strings"
	"testing"
)

// Grants matches exactly what MatchChannel matches on the token's own
// patterns, whatever the subject and the patterns hold.
func TestGrantsMatchAsTheTokenWroteThem(t *testing.T) {
	subjects := []string{"", "u00042", "42", "*", "a*b", ".", "private", "x\xffy"}
	grants := [][]string{
		nil,
		{"private-u00042.*"},
		{"private-u00042.*", "presence-room-*"},
		{"*"},
		{"private-42.42.*", "42"},
		{"a\xffb", "private-*"},
		{"", "private-.*"},
		{strings.Repeat("private-u00042.", 30) + "*"}, // longer than the stack buffer once expanded
	}
	channels := []string{"private-u00042.inbox", "private-u00043.inbox", "presence-room-1", "42", "private-42.42.x",
		"private-a*b.x", "a\xffb", "", "private-..", strings.Repeat("private-u00042.", 30) + "end"}
	for _, sub := range subjects {
		for _, patterns := range grants {
			g := NewGrants(sub, patterns)
			if got := g.Patterns(sub); !slices.Equal(got, patterns) {
				t.Fatalf("NewGrants(%q, %q).Patterns = %q", sub, patterns, got)
			}
			for _, ch := range channels {
				if got, want := g.Match(sub, ch), MatchChannel(patterns, ch); got != want {
					t.Errorf("NewGrants(%q, %q).Match(%q) = %v, MatchChannel says %v", sub, patterns, ch, got, want)
				}
			}
		}
	}
}

// A per-user grant is one shared value, not one per user; a grant does
// not carry over to another user's channels.
func TestGrantsShareThePerUserPattern(t *testing.T) {
	g1 := NewGrants("u00001", []string{"private-u00001.*"})
	g2 := NewGrants("u00002", []string{"private-u00002.*"})
	if g1 != g2 {
		t.Fatal("per-user grants of two users are two values")
	}
	if !g1.Match("u00001", "private-u00001.inbox") || g1.Match("u00001", "private-u00002.inbox") {
		t.Fatal("grant of u00001 does not cover exactly its own channels")
	}
	if NewGrants("u00001", []string{"private-team.*"}) == g1 {
		t.Fatal("different patterns share a value")
	}
	if !NewGrants("u", nil).Empty() || (Grants{}).Match("u", "private-x") {
		t.Fatal("an empty grant grants something")
	}
}

// The grant of a token is read back exactly for any subject and patterns.
func FuzzGrants(f *testing.F) {
	f.Add("u00042", "private-u00042.*", "presence-*", "private-u00042.inbox")
	f.Add("", "*", "", "x")
	f.Add("a", "aaa*a", "\xff", "aaaa")
	f.Fuzz(func(t *testing.T, sub, p1, p2, channel string) {
		patterns := []string{p1, p2}
		g := NewGrants(sub, patterns)
		if got := g.Patterns(sub); !slices.Equal(got, patterns) {
			t.Fatalf("Patterns = %q, want %q", got, patterns)
		}
		if got, want := g.Match(sub, channel), MatchChannel(patterns, channel); got != want {
			t.Fatalf("Match = %v, MatchChannel %v", got, want)
		}
	})
}
