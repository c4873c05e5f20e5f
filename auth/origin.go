package auth

import (
	"errors"
	"fmt"
	"strings"
)

// OriginPolicy is an Origin allow-list for browser upgrades.
//
// Allowed holds exact origins ("https://app.example.com",
// "http://localhost:8080"), wildcard subdomain patterns
// ("https://*.example.com" matches any subdomain, at any depth, of
// example.com over https, but not example.com itself), scheme-less
// patterns ("*.example.com", "app.example.com") that match any scheme,
// and "*" that matches every origin. Scheme and host compare
// case-insensitively; a port equal to the scheme's default (80 for
// http/ws, 443 for https/wss) is the same as no port; a pattern without a
// port matches only the default port. The opaque origin "null" matches
// only the pattern "null" (or "*"). An empty Allowed (the default) allows
// every origin.
//
// An empty origin (a non-browser client) is allowed unless Require is
// set (default false).
type OriginPolicy struct {
	Allowed []string
	Require bool
}

// Allow reports whether a request with this Origin header may upgrade.
// It does not allocate.
func (p OriginPolicy) Allow(origin string) bool {
	if origin == "" {
		return !p.Require
	}
	if len(p.Allowed) == 0 {
		return true
	}
	o, ok := parseOrigin(origin)
	if !ok {
		return slicesContainsExact(p.Allowed, origin)
	}
	for _, pat := range p.Allowed {
		if matchOrigin(pat, o) {
			return true
		}
	}
	return false
}

// slicesContainsExact matches an unparsable origin (in practice "null")
// only against an identical entry or "*".
func slicesContainsExact(allowed []string, origin string) bool {
	for _, a := range allowed {
		if a == origin || a == "*" {
			return true
		}
	}
	return false
}

// Validate reports the first entry of Allowed that is not a usable
// pattern, for configuration loading.
func (p OriginPolicy) Validate() error {
	for _, pat := range p.Allowed {
		if pat == "*" || pat == "null" {
			continue
		}
		o, ok := parseOrigin(withScheme(pat))
		if !ok || strings.Contains(o.host[1:], "*") || (o.host[0] == '*' && !strings.HasPrefix(o.host, "*.")) {
			return fmt.Errorf("auth: allowed origin %q: %w", pat, errBadOrigin)
		}
	}
	return nil
}

var errBadOrigin = errors.New(`want "scheme://host[:port]", "scheme://*.domain" or "*.domain"`)

// withScheme gives a scheme-less pattern a placeholder scheme for parsing.
func withScheme(pat string) string {
	if strings.Contains(pat, "://") {
		return pat
	}
	return "x://" + pat
}

// origin is a parsed "scheme://host[:port]" with the default port removed.
type origin struct {
	scheme, host, port string
}

func parseOrigin(s string) (origin, bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(rest, "/?#@ \t\\") {
		return origin{}, false
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
		if port == "" || !allDigits(port) {
			return origin{}, false
		}
	}
	if host == "" || strings.Contains(host, ":") && !(host[0] == '[' && host[len(host)-1] == ']') {
		return origin{}, false
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	return origin{scheme: scheme, host: host, port: port}, true
}

func defaultPort(scheme string) string {
	switch {
	case strings.EqualFold(scheme, "http"), strings.EqualFold(scheme, "ws"):
		return "80"
	case strings.EqualFold(scheme, "https"), strings.EqualFold(scheme, "wss"):
		return "443"
	}
	return ""
}

// matchOrigin matches one Allowed entry against a parsed origin.
func matchOrigin(pat string, o origin) bool {
	if pat == "*" {
		return true
	}
	anyScheme := !strings.Contains(pat, "://")
	p, ok := parseOrigin(withScheme(pat))
	if !ok {
		return false
	}
	if !anyScheme && !strings.EqualFold(p.scheme, o.scheme) {
		return false
	}
	if anyScheme && p.port == defaultPort(o.scheme) {
		p.port = ""
	}
	if p.port != o.port {
		return false
	}
	if rest, ok := strings.CutPrefix(p.host, "*."); ok {
		n := len(o.host) - len(rest)
		return n >= 2 && o.host[n-1] == '.' && strings.EqualFold(o.host[n:], rest)
	}
	return strings.EqualFold(p.host, o.host)
}
