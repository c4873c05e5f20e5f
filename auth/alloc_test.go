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

// Checking a Pusher signature (an HTTP API request, a private channel's
// subscription, a sign-in) reuses a keyed HMAC and a buffer: what is
// left is the digest itself.
func TestSignatureChecksAllocateOnce(t *testing.T) {
	body := []byte(`{"name":"e","channel":"c","data":"{}"}`)
	q := SignRequest("POST", "/apps/1/events", nil, body, "k", testSecret, t0)
	rc := RequestCheck{Method: "POST", Path: "/apps/1/events", Query: q, Body: body, Now: t0}
	ch := SignChannel("k", testSecret, "1.2", "private-x", "")
	user := SignUser("k", testSecret, "1.2", `{"id":"7"}`)
	cases := map[string]func(){
		"VerifyRequest": func() {
			if VerifyRequest(rc, testSecret) != nil {
				t.Fatal("request refused")
			}
		},
		"VerifyChannel": func() {
			if !VerifyChannel("k", testSecret, "1.2", "private-x", "", ch) {
				t.Fatal("channel refused")
			}
		},
		"VerifyUser": func() {
			if !VerifyUser("k", testSecret, "1.2", `{"id":"7"}`, user) {
				t.Fatal("user refused")
			}
		},
	}
	for name, f := range cases {
		f() // the secret's pool is made on first use
		if n := testing.AllocsPerRun(100, f); n > 1 {
			t.Errorf("%s: %v allocs, want at most 1", name, n)
		}
	}
}
