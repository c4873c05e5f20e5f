package auth

import (
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMintVerifyRoundTrip(t *testing.T) {
	k := testKeys(t)
	pems := [][]byte{k["rsa"].pubPEM, k["p256"].pubPEM, k["p384"].pubPEM, k["p521"].pubPEM, k["ed"].pubPEM}
	v := newTestVerifier(t, JWTOptions{
		HMACSecret:   testSecret,
		PublicKeyPEM: []byte(strings.Join(bytesToStrings(pems), "\n")),
		Issuer:       testIss,
		Audience:     testAud,
	})
	opts := MintOptions{
		Subject:  "u1",
		Channels: []string{"private-a.*", "presence-room"},
		TTL:      time.Minute,
		Issuer:   testIss,
		Audience: testAud,
		Now:      t0,
		UserInfo: json.RawMessage(`{"name":"Ada"}`),
	}
	type minted struct {
		name string
		tok  string
		err  error
	}
	var all []minted
	for _, alg := range []string{"", "HS256", "HS384", "HS512"} {
		o := opts
		o.Algorithm = alg
		tok, err := Mint(testSecret, o)
		all = append(all, minted{"Mint " + alg, tok, err})
	}
	for _, c := range []struct{ key, alg string }{
		{"rsa", ""}, {"rsa", "RS384"}, {"rsa", "RS512"}, {"p256", ""}, {"p384", ""}, {"p521", "ES512"}, {"ed", ""},
	} {
		o := opts
		o.Algorithm = c.alg
		tok, err := MintWithKey(k[c.key].privPEM, o)
		all = append(all, minted{"MintWithKey " + c.key + " " + c.alg, tok, err})
	}
	for _, m := range all {
		if m.err != nil {
			t.Errorf("%s: %v", m.name, m.err)
			continue
		}
		c, err := v.Verify(m.tok, t0.Add(59*time.Second))
		if err != nil {
			t.Errorf("%s: Verify: %v", m.name, err)
			continue
		}
		if c.Subject != "u1" || strings.Join(c.Channels, ",") != "private-a.*,presence-room" ||
			!c.ExpiresAt.Equal(t0.Add(time.Minute)) || string(c.UserInfo) != `{"name":"Ada"}` {
			t.Errorf("%s: claims %+v", m.name, c)
		}
	}
}

func bytesToStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func TestMintDefaultsAndErrors(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret})
	tok, err := Mint(testSecret, MintOptions{Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok, t0)
	if err != nil || !c.ExpiresAt.Equal(t0.Add(DefaultTokenTTL)) || c.UserInfo != nil || c.Channels != nil {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	if _, err := Mint(testSecret, MintOptions{Algorithm: "RS256"}); err == nil {
		t.Error("Mint RS256 succeeded")
	}
	if _, err := Mint("", MintOptions{}); err == nil {
		t.Error("Mint with an empty secret succeeded")
	}
	k := testKeys(t)
	if _, err := MintWithKey(k["rsa"].privPEM, MintOptions{Algorithm: "ES256"}); err == nil {
		t.Error("MintWithKey ES256 with an RSA key succeeded")
	}
	if _, err := MintWithKey(k["rsa"].pubPEM, MintOptions{}); err == nil {
		t.Error("MintWithKey with a public key succeeded")
	}
	if _, err := MintWithKey([]byte("nope"), MintOptions{}); err == nil {
		t.Error("MintWithKey with no PEM succeeded")
	}
}

func TestLeeway(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret, Leeway: 30 * time.Second})
	tok := signed(t, "HS256", []byte(testSecret), "", with(claimsAt(t0), "nbf", t0.Unix()))
	exp := t0.Add(time.Hour)
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{t0.Add(-30 * time.Second), ""},
		{t0.Add(-31 * time.Second), ReasonNotYetValid},
		{exp.Add(29 * time.Second), ""},
		{exp.Add(30 * time.Second), ReasonExpired},
	} {
		if _, err := v.Verify(tok, c.now); reasonOf(err) != c.want {
			t.Errorf("at %v: %v, want %q", c.now.Sub(t0), err, c.want)
		}
	}
}

func TestNewVerifierErrors(t *testing.T) {
	k := testKeys(t)
	cases := []struct {
		name string
		o    JWTOptions
		want string // part of the error
	}{
		{"not PEM", JWTOptions{PublicKeyPEM: []byte("hello")}, "no PEM block"},
		{"trailing garbage", JWTOptions{PublicKeyPEM: append(append([]byte{}, k["rsa"].pubPEM...), "junk"...)}, "trailing data"},
		{"private key", JWTOptions{PublicKeyPEM: k["rsa"].privPEM}, "private key"},
		{"weak RSA", JWTOptions{PublicKeyPEM: k["rsa1024"].pubPEM}, "1024 bits"},
		{"bad DER", JWTOptions{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})}, "PEM block 1"},
		{"unknown block", JWTOptions{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "FOO", Bytes: []byte{1}})}, "unsupported PEM block type"},
		{"second block bad", JWTOptions{PublicKeyPEM: append(append([]byte{}, k["ed"].pubPEM...), k["p256"].privPEM...)}, "PEM block 2"},
		{"public key as HMAC secret", JWTOptions{HMACSecret: string(k["rsa"].pubPEM)}, "PEM"},
		{"JWKS URL not http", JWTOptions{JWKSURL: "file:///etc/keys"}, "not an http(s) URL"},
		{"JWKS URL no host", JWTOptions{JWKSURL: "https://"}, "not an http(s) URL"},
	}
	for _, c := range cases {
		v, err := NewVerifier(c.o)
		if err == nil {
			v.Close()
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

func TestVerifierNoKeysRefusesEverything(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{})
	tok := signed(t, "HS256", []byte(""), "", claimsAt(t0))
	if _, err := v.Verify(tok, t0); reasonOf(err) != ReasonAlgNotEnabled {
		t.Fatalf("zero options: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	k := testKeys(t)
	srv := newJWKSServer(t, jwkSet(t, "a", k["ed"].priv.Public()))
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret, JWKSURL: srv.URL})
	good := []string{
		signed(t, "HS256", []byte(testSecret), "", claimsAt(t0)),
		signed(t, "EdDSA", k["ed"].priv, "a", claimsAt(t0)),
	}
	bad := signed(t, "EdDSA", k["ed"].priv, "b", claimsAt(t0))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if _, err := v.Verify(good[(i+j)%2], t0); err != nil {
					errs <- err
				}
				if _, err := v.Verify(bad, t0.Add(time.Duration(j)*UnknownKidRefreshGap)); err == nil {
					errs <- TokenError{Reason: "unknown kid accepted"}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestVerifyZeroNowUsesClock(t *testing.T) {
	v := newTestVerifier(t, JWTOptions{HMACSecret: testSecret})
	fresh, _ := Mint(testSecret, MintOptions{})
	if _, err := v.Verify(fresh, time.Time{}); err != nil {
		t.Fatalf("fresh token, zero now: %v", err)
	}
	old, _ := Mint(testSecret, MintOptions{Now: time.Now().Add(-2 * time.Hour)})
	if _, err := v.Verify(old, time.Time{}); reasonOf(err) != ReasonExpired {
		t.Fatalf("old token, zero now: %v", err)
	}
}
