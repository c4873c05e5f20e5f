package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Every bad credential the package must refuse, with the exact reason.
// Each case also has a passing twin (the "ok" rows), so a refusal for the
// wrong reason, or a check that was removed, fails the test.

func TestBadTokens(t *testing.T) {
	k := testKeys(t)
	full := newTestVerifier(t, JWTOptions{
		HMACSecret:   testSecret,
		PublicKeyPEM: append(append([]byte{}, k["rsa"].pubPEM...), k["p256"].pubPEM...),
		Issuer:       testIss,
		Audience:     testAud,
	})
	asymOnly := newTestVerifier(t, JWTOptions{PublicKeyPEM: k["rsa"].pubPEM})
	hmacOnly := newTestVerifier(t, JWTOptions{HMACSecret: testSecret})
	edOnly := newTestVerifier(t, JWTOptions{PublicKeyPEM: k["ed"].pubPEM})
	srv := newJWKSServer(t, jwkSet(t, "rsa1", k["rsa"].priv.Public()))
	viaJWKS := newTestVerifier(t, JWTOptions{JWKSURL: srv.URL})

	good := claimsAt(t0)
	hs := func(c jwt.MapClaims) string { return signed(t, "HS256", []byte(testSecret), "", c) }
	exp := t0.Add(time.Hour)

	cases := []struct {
		name  string
		v     *Verifier
		token string
		now   time.Time
		want  string // "" = accepted
	}{
		{"ok HS256", full, hs(good), t0, ""},
		{"ok RS256", full, signed(t, "RS256", k["rsa"].priv, "", good), t0, ""},
		{"ok RS256 asym only", asymOnly, signed(t, "RS256", k["rsa"].priv, "", good), t0, ""},
		{"ok ES256", full, signed(t, "ES256", k["p256"].priv, "", good), t0, ""},
		{"ok HS256 hmac only", hmacOnly, hs(good), t0, ""},
		{"ok JWKS kid", viaJWKS, signed(t, "RS256", k["rsa"].priv, "rsa1", good), t0, ""},

		{"alg none", full, rawToken(map[string]string{"alg": "none", "typ": "JWT"}, good, ""), t0, ReasonAlgNone},
		{"alg none signed", hmacOnly, signed(t, "none", jwt.UnsafeAllowNoneSignatureType, "", good), t0, ReasonAlgNone},
		{"alg missing", full, rawToken(map[string]string{"typ": "JWT"}, good, ""), t0, ReasonAlgUnsupported},
		{"alg unknown", full, rawToken(map[string]string{"alg": "XY999"}, good, "c2ln"), t0, ReasonAlgUnsupported},
		{"alg PS256 unsupported", full, signed(t, "PS256", k["rsa"].priv, "", good), t0, ReasonAlgUnsupported},

		{"confusion: HS256 keyed with RSA public PEM, asym only", asymOnly,
			signed(t, "HS256", k["rsa"].pubPEM, "", good), t0, ReasonAlgNotEnabled},
		{"confusion: HS256 keyed with RSA public PEM, app secret set", full,
			signed(t, "HS256", k["rsa"].pubPEM, "", good), t0, ReasonTokenSignature},
		{"confusion: RS256 at HMAC only", hmacOnly, signed(t, "RS256", k["rsa"].priv, "", good), t0, ReasonNoMatchingKey},
		{"confusion: HS256 at JWKS only", viaJWKS, hs(good), t0, ReasonAlgNotEnabled},

		{"wrong family: EdDSA with RSA+P-256 keys", full, signed(t, "EdDSA", k["ed"].priv, "", good), t0, ReasonNoMatchingKey},
		{"ok EdDSA", edOnly, signed(t, "EdDSA", k["ed"].priv, "", good), t0, ""},
		{"wrong family: RS256 at Ed25519 only", edOnly, signed(t, "RS256", k["rsa"].priv, "", good), t0, ReasonNoMatchingKey},
		{"wrong family: ES256 at RSA only", asymOnly, signed(t, "ES256", k["p256"].priv, "", good), t0, ReasonNoMatchingKey},
		{"wrong curve: ES384 with a P-256 key", full, signed(t, "ES384", k["p384"].priv, "", good), t0, ReasonNoMatchingKey},
		{"wrong family: ES256 with JWKS RSA kid", viaJWKS, signed(t, "ES256", k["p256"].priv, "rsa1", good), t0, ReasonNoMatchingKey},

		{"unknown kid", viaJWKS, signed(t, "RS256", k["rsa"].priv, "other", good), t0, ReasonUnknownKid},

		{"malformed: one segment", full, "abc", t0, ReasonMalformed},
		{"malformed: two segments", full, "abc.def", t0, ReasonMalformed},
		{"malformed: four segments", full, hs(good) + ".x", t0, ReasonMalformed},
		{"malformed: empty", full, "", t0, ReasonMalformed},
		{"malformed: bad base64", full, "@@@." + strings.SplitN(hs(good), ".", 2)[1], t0, ReasonMalformed},
		{"malformed: header not JSON", full, "bm90IGpzb24." + strings.SplitN(hs(good), ".", 2)[1], t0, ReasonMalformed},
		{"malformed: exp not a number", full, hs(with(good, "exp", "tomorrow")), t0, ReasonMalformed},
		{"malformed: channels not a list", full, hs(with(good, "channels", "presence-*")), t0, ReasonMalformed},
		{"malformed: too long", full, hs(with(good, "pad", strings.Repeat("x", MaxTokenLen))), t0, ReasonMalformed},

		{"missing exp", full, hs(with(good, "exp", nil)), t0, ReasonMissingExp},
		{"expired at exp", full, hs(good), exp, ReasonExpired},
		{"ok one second before exp", full, hs(good), exp.Add(-time.Second), ""},
		{"expired long ago", full, hs(good), exp.Add(24 * time.Hour), ReasonExpired},
		{"nbf in the future", full, hs(with(good, "nbf", t0.Add(time.Minute).Unix())), t0, ReasonNotYetValid},
		{"ok nbf now", full, hs(with(good, "nbf", t0.Unix())), t0, ""},

		{"iss wrong", full, hs(with(good, "iss", "https://evil.test")), t0, ReasonBadIssuer},
		{"iss missing", full, hs(with(good, "iss", nil)), t0, ReasonBadIssuer},
		{"aud wrong", full, hs(with(good, "aud", "other")), t0, ReasonBadAudience},
		{"aud missing", full, hs(with(good, "aud", nil)), t0, ReasonBadAudience},
		{"ok aud in a list", full, hs(with(good, "aud", []string{"x", testAud})), t0, ""},

		{"bad sig: other secret", full, signed(t, "HS256", []byte("not-the-secret"), "", good), t0, ReasonTokenSignature},
		{"bad sig: payload swapped", full, swapPayload(hs(good), hs(with(good, "sub", "1"))), t0, ReasonTokenSignature},
		{"bad sig: other RSA key", full, signed(t, "RS256", k["rsa-b"].priv, "", good), t0, ReasonTokenSignature},
		{"bad sig: other key under a known kid", viaJWKS, signed(t, "RS256", k["rsa-b"].priv, "rsa1", good), t0, ReasonTokenSignature},
		{"bad sig: empty signature", full, swapSig(hs(good), ""), t0, ReasonTokenSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.Verify(c.token, c.now)
			if got := reasonOf(err); got != c.want {
				t.Fatalf("Verify: reason %q, want %q", got, c.want)
			}
			if err != nil && strings.Contains(err.Error(), c.token[:min(len(c.token), 20)]) && c.token != "" {
				t.Fatalf("error %q quotes the token", err)
			}
		})
	}
}

// swapPayload puts the claims of b under the header and signature of a.
func swapPayload(a, b string) string {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	return pa[0] + "." + pb[1] + "." + pa[2]
}

func swapSig(tok, sig string) string {
	p := strings.Split(tok, ".")
	return p[0] + "." + p[1] + "." + sig
}

func TestBadRequestSignatures(t *testing.T) {
	body := []byte(`{"name":"e","channel":"c","data":"{}"}`)
	path := "/apps/1/events"
	sign := func(q url.Values, b []byte) url.Values {
		return SignRequest("POST", path, q, b, "app-key", testSecret, t0)
	}
	base := sign(url.Values{"info": {"user_count"}}, body)
	edit := func(f func(q url.Values)) url.Values {
		q := url.Values{}
		for k, v := range base {
			q[k] = append([]string(nil), v...)
		}
		f(q)
		return q
	}
	// resigned applies f, then signs again, so only f's change is wrong.
	resigned := func(f func(q url.Values)) url.Values {
		q := edit(func(q url.Values) { q.Del("auth_signature") })
		f(q)
		m := requestMAC("POST", path, q, testSecret)
		q.Set("auth_signature", hexString(m))
		return q
	}
	cases := []struct {
		name   string
		method string
		path   string
		q      url.Values
		body   []byte
		now    time.Time
		skew   time.Duration
		secret string
		want   string
	}{
		{"ok", "POST", path, base, body, t0, 0, testSecret, ""},
		{"ok lower-case method", "post", path, base, body, t0, 0, testSecret, ""},
		{"ok 600 s late", "POST", path, base, body, t0.Add(600 * time.Second), 0, testSecret, ""},
		{"ok 600 s early", "POST", path, base, body, t0.Add(-600 * time.Second), 0, testSecret, ""},
		{"ok no body", "GET", "/apps/1/channels", SignRequest("GET", "/apps/1/channels", nil, nil, "k", testSecret, t0), nil, t0, 0, testSecret, ""},

		{"wrong secret", "POST", path, base, body, t0, 0, "other", ReasonBadSignature},
		{"wrong method", "GET", path, base, body, t0, 0, testSecret, ReasonBadSignature},
		{"wrong path", "POST", "/apps/2/events", base, body, t0, 0, testSecret, ReasonBadSignature},
		{"param changed after signing", "POST", path, edit(func(q url.Values) { q.Set("info", "subscription_count") }), body, t0, 0, testSecret, ReasonBadSignature},
		{"param added after signing", "POST", path, edit(func(q url.Values) { q.Set("extra", "1") }), body, t0, 0, testSecret, ReasonBadSignature},
		{"signature not hex", "POST", path, edit(func(q url.Values) { q.Set("auth_signature", "zz") }), body, t0, 0, testSecret, ReasonBadSignature},
		{"signature truncated", "POST", path, edit(func(q url.Values) { q.Set("auth_signature", q.Get("auth_signature")[:62]) }), body, t0, 0, testSecret, ReasonBadSignature},

		{"stale: 601 s late", "POST", path, base, body, t0.Add(601 * time.Second), 0, testSecret, ReasonStaleTimestamp},
		{"stale: 601 s early", "POST", path, base, body, t0.Add(-601 * time.Second), 0, testSecret, ReasonStaleTimestamp},
		{"stale: custom skew", "POST", path, base, body, t0.Add(31 * time.Second), 30 * time.Second, testSecret, ReasonStaleTimestamp},
		{"timestamp not a number", "POST", path, resigned(func(q url.Values) { q.Set("auth_timestamp", "soon") }), body, t0, 0, testSecret, ReasonBadTimestamp},

		{"wrong body_md5", "POST", path, base, []byte(`{"name":"x"}`), t0, 0, testSecret, ReasonBadBodyMD5},
		{"body without body_md5", "POST", path, sign(url.Values{"info": {"user_count"}}, nil), body, t0, 0, testSecret, ReasonMissingBodyMD5},
		{"auth_version 2.0", "POST", path, resigned(func(q url.Values) { q.Set("auth_version", "2.0") }), body, t0, 0, testSecret, ReasonBadVersion},
		{"duplicate auth_key", "POST", path, resigned(func(q url.Values) { q.Add("auth_key", "other") }), body, t0, 0, testSecret, ReasonDuplicateParam},
		{"duplicate body_md5", "POST", path, resigned(func(q url.Values) { q.Add("body_md5", q.Get("body_md5")) }), body, t0, 0, testSecret, ReasonDuplicateParam},

		{"missing auth_key", "POST", path, edit(func(q url.Values) { q.Del("auth_key") }), body, t0, 0, testSecret, ReasonMissingKey},
		{"missing auth_timestamp", "POST", path, edit(func(q url.Values) { q.Del("auth_timestamp") }), body, t0, 0, testSecret, ReasonMissingTimestamp},
		{"missing auth_version", "POST", path, edit(func(q url.Values) { q.Del("auth_version") }), body, t0, 0, testSecret, ReasonMissingVersion},
		{"missing auth_signature", "POST", path, edit(func(q url.Values) { q.Del("auth_signature") }), body, t0, 0, testSecret, ReasonMissingSignature},
		{"empty auth_signature", "POST", path, edit(func(q url.Values) { q.Set("auth_signature", "") }), body, t0, 0, testSecret, ReasonMissingSignature},
		{"no query at all", "POST", path, nil, body, t0, 0, testSecret, ReasonMissingKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyRequest(RequestCheck{Method: c.method, Path: c.path, Query: c.q, Body: c.body, Now: c.now, MaxSkew: c.skew}, c.secret)
			if got := reasonOf(err); got != c.want {
				t.Fatalf("VerifyRequest: reason %q, want %q", got, c.want)
			}
		})
	}
}

func TestBadChannelAndUserAuth(t *testing.T) {
	const key, sock, ch, pch = "app-key", "123.456", "private-orders", "presence-room"
	data := `{"user_id":"42"}`
	priv := SignChannel(key, testSecret, sock, ch, "")
	pres := SignChannel(key, testSecret, sock, pch, data)
	user := SignUser(key, testSecret, sock, data)
	hexPart := priv[len(key)+1:]

	channel := []struct {
		name                   string
		socket, channel, cdata string
		auth                   string
		want                   bool
	}{
		{"ok private", sock, ch, "", priv, true},
		{"ok presence", sock, pch, data, pres, true},
		{"ok upper-case hex", sock, ch, "", key + ":" + strings.ToUpper(hexPart), true},
		{"other secret", sock, ch, "", SignChannel(key, "other", sock, ch, ""), false},
		{"other socket", "123.457", ch, "", priv, false},
		{"other channel", sock, "private-other", "", priv, false},
		{"other channel_data", sock, pch, `{"user_id":"43"}`, pres, false},
		{"presence without channel_data", sock, pch, "", SignChannel(key, testSecret, sock, pch, ""), false},
		{"other key prefix", sock, ch, "", "other-key:" + hexPart, false},
		{"no key prefix", sock, ch, "", hexPart, false},
		{"empty key prefix", sock, ch, "", ":" + hexPart, false},
		{"truncated", sock, ch, "", priv[:len(priv)-2], false},
		{"extended", sock, ch, "", priv + "00", false},
		{"not hex", sock, ch, "", key + ":" + strings.Repeat("g", 64), false},
		{"empty", sock, ch, "", "", false},
	}
	for _, c := range channel {
		if got := VerifyChannel(key, testSecret, c.socket, c.channel, c.cdata, c.auth); got != c.want {
			t.Errorf("VerifyChannel %s = %v, want %v", c.name, got, c.want)
		}
	}

	users := []struct {
		name, socket, data, auth string
		want                     bool
	}{
		{"ok", sock, data, user, true},
		{"other user_data", sock, `{"user_id":"43"}`, user, false},
		{"other socket", "1.2", data, user, false},
		{"other secret", sock, data, SignUser(key, "other", sock, data), false},
		{"other key", sock, data, "k2:" + user[len(key)+1:], false},
		{"channel signature is not a user signature", sock, data, SignChannel(key, testSecret, sock, "", data), false},
	}
	for _, c := range users {
		if got := VerifyUser(key, testSecret, c.socket, c.data, c.auth); got != c.want {
			t.Errorf("VerifyUser %s = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBadOrigins(t *testing.T) {
	p := OriginPolicy{Allowed: []string{"https://app.example.com", "https://*.example.org", "*.example.net"}}
	req := OriginPolicy{Allowed: p.Allowed, Require: true}
	cases := []struct {
		name   string
		p      OriginPolicy
		origin string
		want   bool
	}{
		{"ok exact", p, "https://app.example.com", true},
		{"ok wildcard", p, "https://a.b.example.org", true},
		{"ok any-scheme wildcard", p, "http://x.example.net", true},
		{"ok no origin", p, "", true},
		{"ok no rules", OriginPolicy{}, "https://anything.test", true},

		{"other host", p, "https://evil.example", false},
		{"other scheme", p, "http://app.example.com", false},
		{"other port", p, "https://app.example.com:8443", false},
		{"suffix trick", p, "https://app.example.com.evil.test", false},
		{"prefix trick", p, "https://evilapp.example.com", false},
		{"wildcard needs a label", p, "https://example.org", false},
		{"wildcard suffix trick", p, "https://evilexample.org", false},
		{"wildcard scheme", p, "http://a.example.org", false},
		{"wildcard other port", p, "https://a.example.org:444", false},
		{"any-scheme wildcard other port", p, "https://x.example.net:8443", false},
		{"opaque null", p, "null", false},
		{"path in origin", p, "https://app.example.com/x", false},
		{"userinfo trick", p, "https://app.example.com@evil.test", false},
		{"garbage", p, "app.example.com", false},
		{"required origin missing", req, "", false},
		{"required origin missing, no rules", OriginPolicy{Require: true}, "", false},
	}
	for _, c := range cases {
		if got := c.p.Allow(c.origin); got != c.want {
			t.Errorf("%s: Allow(%q) = %v, want %v", c.name, c.origin, got, c.want)
		}
	}
}
