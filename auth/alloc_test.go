//go:build !race

package auth

import "testing"

// The per-upgrade helpers that sit in front of Verify do not allocate.
func TestZeroAllocs(t *testing.T) {
	p := OriginPolicy{Allowed: []string{"https://a.example.com", "https://*.example.org", "*.example.net"}}
	grant := []string{"private-user.42.*", "presence-*"}
	grants := NewGrants("user.42", []string{"presence-*", "private-user.42.*"})
	cases := map[string]func(){
		"ExtractToken header":   func() { ExtractToken("Bearer a.b.c", "", "", "", "") },
		"ExtractToken protocol": func() { ExtractToken("", "chat, bearer.a.b.c", "", "", "") },
		"ExtractToken cookie":   func() { ExtractToken("", "", "x=1; fanout_token=a.b.c", "", "") },
		"ExtractToken query":    func() { ExtractToken("", "", "", "protocol=7&token=a.b.c", "") },
		"OriginPolicy.Allow":    func() { p.Allow("https://x.y.example.org:443") },
		"OriginPolicy.Allow no": func() { p.Allow("https://evil.test") },
		"MatchChannel":          func() { MatchChannel(grant, "private-user.42.inbox") },
		"Grants.Match":          func() { grants.Match("user.42", "private-user.42.inbox") },
		"ValidSocketID":         func() { ValidSocketID("123.456") },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs, want 0", name, n)
		}
	}
}
