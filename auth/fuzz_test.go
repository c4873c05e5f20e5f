package auth

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: any token text is refused or accepted without panicking,
// and every refusal is a TokenError that does not quote the token.
func FuzzVerify(f *testing.F) {
	v, err := NewVerifier(JWTOptions{HMACSecret: testSecret, PublicKeyPEM: testKeys(f)["p256"].pubPEM})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := Mint(testSecret, MintOptions{Now: t0, Subject: "s"})
	f.Add(good)
	f.Add(signed(f, "ES256", testKeys(f)["p256"].priv, "k", claimsAt(t0)))
	f.Add(rawToken(map[string]string{"alg": "none"}, claimsAt(t0), ""))
	f.Add(rawToken(map[string]any{"alg": 5}, map[string]any{"exp": "x"}, "AA"))
	f.Add("..")
	f.Add("a.b.c")
	f.Add(good[:strings.LastIndexByte(good, '.')] + ".")
	f.Fuzz(func(t *testing.T, tok string) {
		if fc, ok, ferr := v.verifyHMACFast(tok, t0); ok {
			gc, gerr := v.verifyGeneric(tok, t0)
			if !reflect.DeepEqual(fc, gc) || ferr != gerr {
				t.Fatalf("fast %+v %v, generic %+v %v", fc, ferr, gc, gerr)
			}
		}
		c, err := v.Verify(tok, t0)
		if err == nil {
			if c.ExpiresAt.IsZero() {
				t.Fatal("accepted a token without exp")
			}
			return
		}
		te, ok := err.(TokenError)
		if !ok || te.Reason == "" {
			t.Fatalf("error %#v is not a TokenError", err)
		}
		if len(tok) > 8 && strings.Contains(err.Error(), tok) {
			t.Fatal("error quotes the token")
		}
	})
}

// FuzzVerifyRequest: arbitrary queries, paths and bodies never panic,
// refusals are RequestErrors, and nothing unsigned is ever accepted.
func FuzzVerifyRequest(f *testing.F) {
	signedQ := SignRequest("POST", "/apps/1/events", url.Values{"a": {"1"}}, []byte("{}"), "k", testSecret, t0)
	f.Add("POST", "/apps/1/events", signedQ.Encode(), []byte("{}"), int64(0))
	f.Add("GET", "/", "auth_key=k&auth_timestamp=1&auth_version=1.0&auth_signature=00", []byte(nil), int64(1))
	f.Add("get", "/x", "auth_timestamp=99999999999999999999999", []byte("x"), int64(-5))
	f.Fuzz(func(t *testing.T, method, path, rawQuery string, body []byte, skewSec int64) {
		q, _ := url.ParseQuery(rawQuery)
		c := RequestCheck{Method: method, Path: path, Query: q, Body: body, Now: t0, MaxSkew: time.Duration(skewSec) * time.Second}
		err := VerifyRequest(c, testSecret)
		if err == nil {
			// Accepted: it must really carry our signature.
			if q.Get("auth_signature") == "" || VerifyRequest(c, testSecret+"x") == nil {
				t.Fatal("accepted without a valid signature")
			}
			return
		}
		if _, ok := err.(RequestError); !ok {
			t.Fatalf("error %#v is not a RequestError", err)
		}
	})
}

// FuzzExtractToken: never panics, and a token found is non-empty, comes
// from the input, and the echoed protocol is in the protocol header.
func FuzzExtractToken(f *testing.F) {
	f.Add("Bearer a.b.c", "", "", "", "")
	f.Add("", "chat, bearer.x.y.z", "", "", "")
	f.Add("", "", "a=b; fanout_token=\"t\"", "", "")
	f.Add("", "", "", "protocol=7&token=a%2Eb", "jwt")
	f.Add("bearer", ",,,", ";;=;", "&&=&token", "")
	f.Fuzz(func(t *testing.T, auth, protos, cookie, query, name string) {
		tok, src, echo := ExtractToken(auth, protos, cookie, query, name)
		switch {
		case src == SourceNone:
			if tok != "" || echo != "" {
				t.Fatalf("SourceNone with (%q, %q)", tok, echo)
			}
		case tok == "":
			t.Fatalf("source %v with an empty token", src)
		case src == SourceProtocol:
			if !strings.Contains(protos, echo) || !strings.HasSuffix(echo, tok) {
				t.Fatalf("echo %q / token %q not from %q", echo, tok, protos)
			}
		case echo != "":
			t.Fatalf("echo %q for source %v", echo, src)
		case src == SourceHeader && !strings.Contains(auth, tok):
			t.Fatalf("header token %q not in %q", tok, auth)
		}
	})
}

// FuzzOriginAllow: never panics; an empty list allows every non-empty
// origin; a listed origin is allowed; Require only refuses "".
func FuzzOriginAllow(f *testing.F) {
	f.Add("https://a.example.com", "https://*.example.com", false)
	f.Add("http://[::1]:80", "*.x", true)
	f.Add("null", "null", false)
	f.Add("", "*", true)
	f.Add("https://a:b:c", "https://a:443", false)
	f.Fuzz(func(t *testing.T, origin, pattern string, require bool) {
		p := OriginPolicy{Allowed: []string{pattern}, Require: require}
		got := p.Allow(origin)
		if origin == "" && got == require {
			t.Fatalf("empty origin: Allow = %v with Require %v", got, require)
		}
		if origin != "" && !(OriginPolicy{Require: require}).Allow(origin) {
			t.Fatal("empty list refused a non-empty origin")
		}
		if origin != "" && pattern == origin && p.Validate() == nil && !strings.Contains(origin, "*") && !got {
			t.Fatalf("origin %q not allowed by itself", origin)
		}
		_ = (OriginPolicy{Allowed: []string{pattern}}).Validate()
	})
}

// FuzzMatchChannel: never panics; a pattern without '*' matches only
// itself; "*" + channel + "*" always matches.
func FuzzMatchChannel(f *testing.F) {
	f.Add("private-*", "private-x")
	f.Add("a*b*c", "abc")
	f.Fuzz(func(t *testing.T, pattern, channel string) {
		got := MatchChannel([]string{pattern}, channel)
		if !strings.Contains(pattern, "*") && got != (pattern == channel) {
			t.Fatalf("literal %q vs %q = %v", pattern, channel, got)
		}
		if !MatchChannel([]string{"*" + channel + "*"}, channel) && !strings.Contains(channel, "*") {
			t.Fatalf("*%s* did not match %s", channel, channel)
		}
	})
}
