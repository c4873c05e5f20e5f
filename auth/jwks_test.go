package auth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestJWKSAllKeyTypes(t *testing.T) {
	k := testKeys(t)
	srv := newJWKSServer(t, jwkSet(t,
		"rsa1", k["rsa"].priv.Public(),
		"ec256", k["p256"].priv.Public(),
		"ec384", k["p384"].priv.Public(),
		"ec521", k["p521"].priv.Public(),
		"ed1", k["ed"].priv.Public()))
	v := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})
	for _, c := range []struct{ alg, key, kid string }{
		{"RS256", "rsa", "rsa1"}, {"RS384", "rsa", "rsa1"}, {"RS512", "rsa", "rsa1"},
		{"ES256", "p256", "ec256"}, {"ES384", "p384", "ec384"}, {"ES512", "p521", "ec521"},
		{"EdDSA", "ed", "ed1"},
		{"ES256", "p256", ""}, // no kid: every fitting key is tried
	} {
		tok := signed(t, c.alg, k[c.key].priv, c.kid, claimsAt(t0))
		if cl, err := v.Verify(tok, t0); err != nil || cl.Subject != "42" {
			t.Errorf("%s kid %q: claims %+v, err %v", c.alg, c.kid, cl, err)
		}
	}
	if s, ok := v.JWKSStatus(); !ok || s.Keys != 5 || s.LastError != nil || s.FetchedAt.IsZero() {
		t.Errorf("JWKSStatus = %+v, %v", s, ok)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (only NewVerifier)", n)
	}
}

func TestJWKSKeyAlgIsBinding(t *testing.T) {
	k := testKeys(t)
	pinned := withField(jwkOf("r", k["rsa"].priv.Public()), "alg", "RS512")
	srv := newJWKSServer(t, []byte(`{"keys":[`+mustJSON(pinned)+`]}`))
	v := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})
	if _, err := v.Verify(signed(t, "RS512", k["rsa"].priv, "r", claimsAt(t0)), t0); err != nil {
		t.Fatalf("RS512 under an RS512 key: %v", err)
	}
	for _, kid := range []string{"r", ""} {
		if _, err := v.Verify(signed(t, "RS256", k["rsa"].priv, kid, claimsAt(t0)), t0); reasonOf(err) != ReasonNoMatchingKey {
			t.Errorf("RS256 under an RS512 key (kid %q): %v", kid, err)
		}
	}
}

func TestJWKSRefreshOnUnknownKid(t *testing.T) {
	k := testKeys(t)
	srv := newJWKSServer(t, jwkSet(t, "old", k["rsa"].priv.Public()))
	v := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})
	rotated := signed(t, "ES256", k["p256"].priv, "new", claimsAt(t0))

	// Not published yet: one on-demand fetch, then refused.
	if _, err := v.Verify(rotated, t0); reasonOf(err) != ReasonUnknownKid {
		t.Fatalf("before rotation: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2 (start + one on-demand)", n)
	}
	srv.serve(http.StatusOK, jwkSet(t, "old", k["rsa"].priv.Public(), "new", k["p256"].priv.Public()))

	// Within the gap: no fetch, still refused.
	if _, err := v.Verify(rotated, t0.Add(UnknownKidRefreshGap-time.Second)); reasonOf(err) != ReasonUnknownKid {
		t.Fatalf("within the gap: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d within the gap, want 2", n)
	}
	// After the gap: one fetch finds the new key.
	later := t0.Add(UnknownKidRefreshGap)
	if _, err := v.Verify(rotated, later); err != nil {
		t.Fatalf("after the gap: %v", err)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("hits = %d after the gap, want 3", n)
	}
	// A known kid never fetches.
	for range 5 {
		if _, err := v.Verify(rotated, later); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("hits = %d for known kids, want 3", n)
	}
}

func TestJWKSOutageKeepsLastGoodSet(t *testing.T) {
	k := testKeys(t)
	srv := newJWKSServer(t, jwkSet(t, "k1", k["ed"].priv.Public()))
	v := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})
	good := signed(t, "EdDSA", k["ed"].priv, "k1", claimsAt(t0))
	forged := signed(t, "RS256", k["rsa-b"].priv, "k1", claimsAt(t0))
	unknown := signed(t, "RS256", k["rsa-b"].priv, "k9", claimsAt(t0))

	for _, bad := range []struct {
		name   string
		status int
		body   string
	}{
		{"500", http.StatusInternalServerError, `oops`},
		{"not JSON", http.StatusOK, `<html>`},
		{"no keys array", http.StatusOK, `{"kes":[]}`},
		{"empty set", http.StatusOK, `{"keys":[]}`},
		{"bad RSA", http.StatusOK, `{"keys":[{"kty":"RSA","kid":"k9","n":"!!","e":"AQAB"}]}`},
		{"EC point off the curve", http.StatusOK, `{"keys":[{"kty":"EC","kid":"k9","crv":"P-256","x":"` +
			strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 42) + `E"}]}`},
		{"too large", http.StatusOK, `{"keys":[],"pad":"` + strings.Repeat("x", MaxJWKSSize) + `"}`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			srv.serve(bad.status, []byte(bad.body))
			if err := v.RefreshJWKS(context.Background()); err == nil {
				t.Fatal("RefreshJWKS accepted a bad JWKS")
			}
			if s, _ := v.JWKSStatus(); s.Keys != 1 || s.LastError == nil {
				t.Fatalf("status after failure = %+v", s)
			}
			if _, err := v.Verify(good, t0); err != nil {
				t.Fatalf("last good key lost: %v", err)
			}
			if _, err := v.Verify(forged, t0); reasonOf(err) != ReasonNoMatchingKey {
				t.Fatalf("forged token: %v", err)
			}
			if _, err := v.Verify(unknown, t0.Add(time.Hour*0)); reasonOf(err) != ReasonUnknownKid {
				t.Fatalf("unknown kid during outage: %v", err)
			}
		})
	}
	srv.Close() // the endpoint is gone altogether
	if err := v.RefreshJWKS(context.Background()); err == nil {
		t.Fatal("RefreshJWKS with the server gone returned nil")
	}
	if _, err := v.Verify(good, t0); err != nil {
		t.Fatalf("last good key lost with the server gone: %v", err)
	}
}

func TestJWKSDownAtStart(t *testing.T) {
	k := testKeys(t)
	srv := newJWKSServer(t, []byte(`nope`))
	v := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})
	if s, _ := v.JWKSStatus(); s.Keys != 0 || s.LastError == nil {
		t.Fatalf("status = %+v", s)
	}
	tok := signed(t, "RS256", k["rsa"].priv, "a", claimsAt(t0))
	if _, err := v.Verify(tok, t0); reasonOf(err) != ReasonUnknownKid {
		t.Fatalf("Verify with no keys: %v", err)
	}
	srv.serve(http.StatusOK, jwkSet(t, "a", k["rsa"].priv.Public()))
	if _, err := v.Verify(tok, t0.Add(UnknownKidRefreshGap)); err != nil {
		t.Fatalf("Verify after recovery: %v", err)
	}
}

func TestJWKSPeriodicRefresh(t *testing.T) {
	srv := newJWKSServer(t, jwkSet(t, "a", testKeys(t)["ed"].priv.Public()))
	v, err := NewVerifier(JWTOptions{JWKSURL: srv.URL, JWKSRefresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // liveness bound only
	for srv.hits.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	v.Close()
	n := srv.hits.Load()
	if n < 3 {
		t.Fatalf("JWKS fetched %d times, want periodic refreshes", n)
	}
	v.Close() // idempotent
	if err := v.RefreshJWKS(context.Background()); err == nil {
		t.Error("RefreshJWKS after Close succeeded")
	}
	if got := srv.hits.Load(); got != n {
		t.Errorf("fetches after Close: %d -> %d", n, got)
	}
}

func TestParseJWKS(t *testing.T) {
	k := testKeys(t)
	rsaJWK := jwkOf("r", k["rsa"].priv.Public())
	cases := []struct {
		name string
		doc  string
		keys int // -1 = error
	}{
		{"skips enc, oct, X25519, secp256k1, weak RSA", `{"keys":[
			` + mustJSON(withField(jwkOf("enc", k["rsa-b"].priv.Public()), "use", "enc")) + `,
			{"kty":"oct","k":"c2VjcmV0"},
			{"kty":"OKP","crv":"X25519","x":"AAAA"},
			{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"},
			{"kty":"RSA","alg":"RSA-OAEP","n":"AQAB","e":"AQAB"},
			` + mustJSON(jwkOf("weak", k["rsa1024"].priv.Public())) + `,
			` + mustJSON(rsaJWK) + `]}`, 1},
		{"only skipped keys", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, -1},
		{"alg does not fit kty", `{"keys":[` + mustJSON(withField(rsaJWK, "alg", "ES256")) + `]}`, -1},
		{"even RSA exponent", `{"keys":[` + mustJSON(withField(rsaJWK, "e", "Ag")) + `]}`, -1},
		{"short EC x", `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`, -1},
		{"short Ed25519 x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, -1},
		{"key not an object", `{"keys":[1]}`, -1},
		{"null keys", `{"keys":null}`, -1},
	}
	for _, c := range cases {
		got, err := parseJWKS([]byte(c.doc))
		if c.keys < 0 && err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if c.keys >= 0 && (err != nil || len(got) != c.keys) {
			t.Errorf("%s: %d keys, err %v; want %d", c.name, len(got), err, c.keys)
		}
	}
}

func withField(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for kk, vv := range m {
		if kk != k {
			out[kk] = vv
		}
	}
	return out
}
