package auth

import "testing"

func TestOriginAllow(t *testing.T) {
	p := OriginPolicy{Allowed: []string{
		"https://App.Example.com",
		"http://localhost:8080",
		"https://*.example.org",
		"*.example.net",
		"static.example.io",
		"https://[::1]:9000",
		"https://plain.example.com:443",
	}}
	for origin, want := range map[string]bool{
		"https://app.example.com":     true,
		"HTTPS://APP.EXAMPLE.COM":     true,
		"https://app.example.com:443": true,
		"http://localhost:8080":       true,
		"http://localhost":            false,
		"http://localhost:80":         false,
		"https://a.example.org":       true,
		"https://a.b.c.example.org":   true,
		"https://a.example.org:443":   true,
		"wss://a.example.org":         false,
		"http://x.example.net":        true,
		"https://x.example.net:443":   true,
		"http://x.example.net:80":     true,
		"http://x.example.net:443":    false,
		"http://static.example.io":    true,
		"https://static.example.io":   true,
		"https://[::1]:9000":          true,
		"https://[::1]":               false,
		"https://plain.example.com":   true,
		"https://[::1":                false,
		"https://a:b:c":               false,
		"https://host:":               false,
		"https://host:x":              false,
		"https://":                    false,
		"://host":                     false,
	} {
		if got := p.Allow(origin); got != want {
			t.Errorf("Allow(%q) = %v, want %v", origin, got, want)
		}
	}
}

func TestOriginStarAndNull(t *testing.T) {
	star := OriginPolicy{Allowed: []string{"*"}, Require: true}
	if !star.Allow("https://x.test") || !star.Allow("null") || star.Allow("") {
		t.Error(`"*" with Require: want every origin but ""`)
	}
	null := OriginPolicy{Allowed: []string{"null"}}
	if !null.Allow("null") || null.Allow("https://x.test") {
		t.Error(`"null" pattern`)
	}
}

func TestOriginValidate(t *testing.T) {
	good := OriginPolicy{Allowed: []string{"*", "null", "https://a.b", "*.b.c", "http://*.b.c:8080", "a.b:81", "https://[::1]:1"}}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	for _, bad := range []string{"", "https://", "https://a.b/path", "https://a*.b", "https://*", "*b.c", "https://a.*.c", "a.b:port", "https://u@a.b"} {
		if err := (OriginPolicy{Allowed: []string{bad}}).Validate(); err == nil {
			t.Errorf("Validate(%q) = nil", bad)
		}
	}
}
