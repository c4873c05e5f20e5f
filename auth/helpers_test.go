package auth

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testSecret = "app-secret"
	testIss    = "https://issuer.test"
	testAud    = "fanout"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// claimsAt is a valid claim set for the test verifiers at t0.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":      "42",
		"exp":      now.Add(time.Hour).Unix(),
		"iat":      now.Unix(),
		"iss":      testIss,
		"aud":      testAud,
		"channels": []string{"private-user.42.*"},
	}
}

// with returns a copy of c with the given claims set (nil value deletes).
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// signed signs claims with alg and key, setting kid when not "".
func signed(tb testing.TB, alg string, key any, kid string, c jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), c)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatalf("sign %s: %v", alg, err)
	}
	return s
}

// rawToken assembles header.claims.sig from JSON values, unsigned.
func rawToken(header, claims any, sig string) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + sig
}

func newTestVerifier(tb testing.TB, o JWTOptions) *Verifier {
	tb.Helper()
	v, err := NewVerifier(o)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	tb.Cleanup(v.Close)
	return v
}

func reasonOf(err error) string {
	switch e := err.(type) {
	case nil:
		return ""
	case TokenError:
		return e.Reason
	case RequestError:
		return e.Reason
	}
	return "unexpected error type: " + err.Error()
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
