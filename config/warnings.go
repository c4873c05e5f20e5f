package config

import (
	"fmt"
	"slices"
	"strings"
)

// minSecretLen is the length below which a secret draws a warning: HMAC
// keys shorter than the hash output weaken it (RFC 2104 section 3), and
// 16 random bytes are the least a guess should have to beat.
const minSecretLen = 16

// Warnings returns one line for each enabled app's secret (and JWT
// secret) that is shorter than 16 bytes or still holds a placeholder
// such as "${use a long random secret}" or "<secret>", for the start-up
// log. The development secret has its own warning and is not listed.
func (c Config) Warnings() []string {
	var out []string
	for i, a := range c.Apps {
		if !a.Enabled || a.Secret == DevAppSecret {
			continue
		}
		out = appendWeak(out, fmt.Sprintf("apps[%d].secret (app %s)", i, a.ID), a.Secret)
		if a.Auth.JWT.Secret != "" {
			out = appendWeak(out, fmt.Sprintf("apps[%d].auth.jwt.secret (app %s)", i, a.ID), a.Auth.JWT.Secret)
		}
	}
	return out
}

func appendWeak(out []string, key, secret string) []string {
	switch {
	case placeholder(secret):
		return append(out, key+" still holds a placeholder; set a long random secret (e.g. openssl rand -hex 32)")
	case len(secret) < minSecretLen:
		return append(out, fmt.Sprintf("%s is %d bytes, shorter than %d; use a long random secret (e.g. openssl rand -hex 32)", key, len(secret), minSecretLen))
	}
	return out
}

// placeholders are secrets copied from examples as they stand;
// placeholderParts are phrases that mark one inside a longer text.
var (
	placeholders     = []string{"secret", "my-secret", "mysecret", "password", "todo", "xxx"}
	placeholderParts = []string{"change-me", "changeme", "change_me", "replace-me", "replaceme", "replace_me",
		"your-secret", "your_secret", "yoursecret", "long random", "long-random"}
)

// placeholder reports whether s looks like text to be replaced rather
// than a secret: an unexpanded "${...}" or "$(...)", "<...>", a stock
// word or a phrase such as "change-me".
func placeholder(s string) bool {
	t := strings.ToLower(strings.TrimSpace(s))
	if strings.Contains(t, "${") || strings.Contains(t, "$(") ||
		strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">") || slices.Contains(placeholders, t) {
		return true
	}
	return slices.ContainsFunc(placeholderParts, func(p string) bool { return strings.Contains(t, p) })
}
