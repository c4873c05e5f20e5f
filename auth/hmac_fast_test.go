package auth

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fast HS* path and the generic path must agree on every token the
// fast path takes.
func TestHMACFastPathAgrees(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret, Issuer: testIss, Audience: testAud})
	good := claimsAt(t0)
	var toks []string
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		for _, c := range []map[string]any{
			good,
			with(good, "exp", nil),
			with(good, "exp", 1e300),
			with(good, "exp", nil, "x", 1),
			with(good, "exp", float64(t0.Unix())+0.5),
			with(good, "nbf", t0.Add(time.Second).Unix()),
			with(good, "iss", "x"),
			with(good, "aud", []string{"a", testAud}),
			with(good, "aud", 7),
			with(good, "user_info", map[string]any{"name": "Ada"}),
			with(good, "channels", []any{"a", 1}),
			with(good, "sub", 42),
		} {
			toks = append(toks, signed(t, alg, []byte(testSecret), "", c))
			toks = append(toks, signed(t, alg, []byte("wrong"), "", c))
		}
	}
	handled := 0
	for _, tok := range toks {
		fc, ok, ferr := v.verifyHMACFast(tok, t0)
		if !ok {
			t.Fatalf("fast path skipped a golang-jwt HS token %s", tok[:20])
		}
		handled++
		gc, gerr := v.verifyGeneric(tok, t0)
		if !reflect.DeepEqual(fc, gc) || ferr != gerr {
			t.Errorf("paths disagree on %s:\nfast    %+v %v\ngeneric %+v %v", tok, fc, ferr, gc, gerr)
		}
	}
	if handled != len(toks) {
		t.Fatalf("handled %d of %d", handled, len(toks))
	}
}

func TestHMACFastPathHeaders(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret})
	enc := base64.RawURLEncoding.EncodeToString
	tok := signed(t, "HS256", []byte(testSecret), "", claimsAt(t0))
	_, payload, _ := strings.Cut(tok, ".")
	for header, fast := range map[string]bool{
		`{"alg":"HS256","typ":"JWT"}`:           true,
		`{"typ":"JWT","alg":"HS512"}`:           true,
		`{"alg":"HS384"}`:                       true,
		`{"alg":"HS256","typ":"JWT","kid":"a"}`: false,
		`{"ALG":"HS256"}`:                       false,
		`{"alg":"RS256","typ":"JWT"}`:           false,
		`{"alg":"none","typ":"JWT"}`:            false,
	} {
		if _, ok, _ := v.verifyHMACFast(enc([]byte(header))+"."+payload, t0); ok != fast {
			t.Errorf("header %s: fast path %v, want %v", header, ok, fast)
		}
	}
	if _, ok, _ := v.verifyHMACFast(tok+".x", t0); ok {
		t.Error("fast path took a four-segment token")
	}
	noHMAC := newTestVerifier(t, JWTOptions{PublicKeyPEM: testKeys(t)["ed"].pubPEM})
	if _, ok, _ := noHMAC.verifyHMACFast(tok, t0); ok {
		t.Error("fast path ran without an HMAC secret")
	}
}
