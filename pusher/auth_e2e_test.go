package pusher_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/internal/syncbuf"
	"github.com/fanout/fanout/server"
	"github.com/golang-jwt/jwt/v5"
)

// End-to-end proofs of upgrade authentication (README, "Authentication"): every bad credential
// is refused with HTTP 401 before the upgrade, through each of the four
// places a token may travel, and each has a valid twin that upgrades (so
// removing a check makes its row fail).

// strictApps are an app with HS* (its secret), an RSA PEM key, iss and aud
// configured, and an app whose keys come from a JWKS endpoint.
func strictApps(t *testing.T, k *e2eKeys) (pem, jwks config.App) {
	pem = e2eApp("strict")
	pem.Auth.JWT.PublicKeyFile = writePEM(t, k.rsaPubPEM)
	pem.Auth.JWT.Issuer = e2eIssuer
	pem.Auth.JWT.Audience = e2eAudience
	jwks = e2eApp("jwks")
	jwks.Auth.JWT.JWKSURL = serveJWKS(t, "k1", &k.ec.PublicKey)
	return pem, jwks
}

func TestUpgradeRefusesEveryBadCredential(t *testing.T) {
	k := newKeys(t)
	app, jwksApp := strictApps(t, k)
	n := startApps(t, app, jwksApp)
	now := time.Now()
	secret := []byte(app.Secret)
	valid := signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now))
	parts := strings.Split(valid, ".")
	cases := []struct {
		name   string
		app    config.App
		tok    string
		status int
	}{
		// Twins: each family of check passes a good token.
		{"valid HS256", app, valid, 101},
		{"valid HS384", app, signJWT(t, jwt.SigningMethodHS384, secret, "", claims("u1", now)), 101},
		{"valid HS512", app, signJWT(t, jwt.SigningMethodHS512, secret, "", claims("u1", now)), 101},
		{"valid RS256 from PEM", app, signJWT(t, jwt.SigningMethodRS256, k.rsa, "", claims("u1", now)), 101},
		{"valid RS512 from PEM", app, signJWT(t, jwt.SigningMethodRS512, k.rsa, "", claims("u1", now)), 101},
		{"valid ES256 from JWKS", jwksApp, signJWT(t, jwt.SigningMethodES256, k.ec, "k1", claims("u1", now)), 101},
		{"valid nbf in the past", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "nbf", now.Add(-time.Minute).Unix())), 101},
		{"valid aud as list", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "aud", []string{"x", e2eAudience})), 101},

		{"expired", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "exp", now.Add(-time.Minute).Unix())), 401},
		{"exp missing", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "exp", nil)), 401},
		{"exp not a number", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "exp", "tomorrow")), 401},
		{"nbf in the future", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "nbf", now.Add(time.Hour).Unix())), 401},
		{"wrong iss", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "iss", "https://evil.test")), 401},
		{"iss missing", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "iss", nil)), 401},
		{"wrong aud", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "aud", "other")), 401},
		{"aud missing", app, signJWT(t, jwt.SigningMethodHS256, secret, "", claims("u1", now, "aud", nil)), 401},
		{"alg none", app, signJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims("u1", now)), 401},
		{"alg none, upper case", app, rawJWT(map[string]string{"alg": "NONE", "typ": "JWT"}, claims("u1", now), ""), 401},
		{"alg confusion: HS256 keyed with the RSA public key", app, signJWT(t, jwt.SigningMethodHS256, k.rsaPubPEM, "", claims("u1", now)), 401},
		{"HS256 with another secret", app, signJWT(t, jwt.SigningMethodHS256, []byte("not-the-secret"), "", claims("u1", now)), 401},
		{"HS256 with another app's secret", app, signJWT(t, jwt.SigningMethodHS256, []byte(jwksApp.Secret), "", claims("u1", now)), 401},
		{"RS256 by another key", app, signJWT(t, jwt.SigningMethodRS256, k.otherRSA, "", claims("u1", now)), 401},
		{"ES256 with no EC key configured", app, signJWT(t, jwt.SigningMethodES256, k.ec, "", claims("u1", now)), 401},
		{"JWKS: unknown kid", jwksApp, signJWT(t, jwt.SigningMethodES256, k.ec, "k-unknown", claims("u1", now)), 401},
		{"JWKS: known kid, other key", jwksApp, signJWT(t, jwt.SigningMethodES256, k.otherEC, "k1", claims("u1", now)), 401},
		{"JWKS: kid of an EC key, RS256 token", jwksApp, signJWT(t, jwt.SigningMethodRS256, k.rsa, "k1", claims("u1", now)), 401},
		{"tampered claims", app, parts[0] + "." + strings.Split(rawJWT(nil, claims("admin", now), ""), ".")[1] + "." + parts[2], 401},
		{"signature stripped", app, parts[0] + "." + parts[1] + ".", 401},
		{"two segments", app, parts[0] + "." + parts[1], 401},
		{"not a JWT", app, "hello", 401},
		{"bad base64", app, "!!!." + parts[1] + "." + parts[2], 401},
		{"header not JSON", app, "bm90IGpzb24." + parts[1] + "." + parts[2], 401},
	}
	for _, tc := range cases {
		for _, by := range carriers {
			t.Run(tc.name+"/"+by.name, func(t *testing.T) {
				got := upgradeWith(t, n, tc.app.Key, tc.tok, by, nil)
				if got.status != tc.status {
					t.Fatalf("status %d, want %d", got.status, tc.status)
				}
				if by.name == "protocol" && got.status == 101 {
					want := auth.ProtocolTokenPrefix + tc.tok
					if p := got.header.Get("Sec-WebSocket-Protocol"); p != want {
						t.Fatalf("echoed protocol %q, want the token entry", p)
					}
				}
			})
		}
	}
}

// The tampered-claims row above re-encodes a claims segment; make sure it
// really differs from the signed one, or the row proves nothing.
func TestTamperedRowDiffers(t *testing.T) {
	now := time.Now()
	a := strings.Split(rawJWT(nil, claims("admin", now), ""), ".")[1]
	b := strings.Split(rawJWT(nil, claims("u1", now), ""), ".")[1]
	if a == b {
		t.Fatal("tampered claims equal the signed ones")
	}
}

func TestUpgradeTooLongTokenIsRefusedBeforeUpgrade(t *testing.T) {
	app := e2eApp("long")
	n := startApps(t, app)
	tok := mint(t, app, auth.MintOptions{Subject: strings.Repeat("x", 9000)})
	got := upgradeWith(t, n, app.Key, tok, carriers[0], nil)
	if got.status == 101 || got.status < 400 {
		t.Fatalf("status %d, want a 4xx refusal", got.status)
	}
}

func TestAuthModes(t *testing.T) {
	req := e2eApp("req")
	opt := e2eApp("opt")
	opt.Auth.Mode = config.AuthOptional
	off := e2eApp("off")
	off.Auth.Mode = config.AuthOff
	n := startApps(t, req, opt, off)
	bad := signJWT(t, jwt.SigningMethodHS256, []byte("wrong"), "", claims("u1", time.Now(), "iss", nil, "aud", nil))
	cases := []struct {
		app    config.App
		tok    string
		status int
	}{
		{req, bad, 401},
		{opt, bad, 401},
		{off, bad, 101}, // off: tokens are not read at all
		{req, mint(t, req, auth.MintOptions{Subject: "u1"}), 101},
		{opt, mint(t, opt, auth.MintOptions{Subject: "u1"}), 101},
	}
	for _, tc := range cases {
		if got := upgradeWith(t, n, tc.app.Key, tc.tok, carriers[0], nil); got.status != tc.status {
			t.Errorf("%s mode: status %d, want %d", tc.app.Auth.Mode, got.status, tc.status)
		}
	}
	// Optional: an anonymous connection stays and may use public channels.
	c := fantest.Dial(t, appURL(n, opt), nil)
	c.Subscribe("news")
	mustPong(t, c)
	// Off: the same, and no signin deadline.
	c = fantest.Dial(t, appURL(n, off), nil)
	c.Subscribe("news")
	// Required: an anonymous connection may ping; its subscribe waits for
	// its signin (signin_hold_test.go has the rest).
	c = fantest.Dial(t, appURL(n, req), nil)
	mustPong(t, c)
	c.Send("pusher:subscribe", map[string]string{"channel": "news"})
	mustPong(t, c) // held: nothing answers it yet
	signin(c, req, "u1")
	c.Expect("pusher:signin_success")
	if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != "news" {
		t.Fatalf("after signin: %+v, want news subscribed", ev)
	}
}

func TestSigninGrace(t *testing.T) {
	app := e2eApp("grace")
	app.Auth.SigninTimeout = 700 * time.Millisecond
	pub := e2eApp("pubfirst")
	pub.Auth.SigninTimeout = 700 * time.Millisecond
	pub.Auth.PublicBeforeSignin = true
	n := startApps(t, app, pub)

	silent := fantest.Dial(t, appURL(n, app), nil)
	badSig := fantest.Dial(t, appURL(n, app), nil)
	signed := fantest.Dial(t, appURL(n, app), nil)
	early := fantest.Dial(t, appURL(n, pub), nil)
	tokened := fantest.Dial(t, appURL(n, app), bearerHeader(mint(t, app, auth.MintOptions{Subject: "t1"})))

	ud := `{"id":"u1"}`
	badSig.Send("pusher:signin", map[string]string{"user_data": ud, "auth": auth.SignUser(app.Key, "wrong", badSig.SocketID, ud)})
	if code := errorCode(t, badSig.Next()); code != 4009 {
		t.Fatalf("bad signin: pusher:error %d, want 4009", code)
	}
	// A signature made for another socket does not sign this one in.
	badSig.Send("pusher:signin", map[string]string{"user_data": ud, "auth": auth.SignUser(app.Key, app.Secret, signed.SocketID, ud)})
	if code := errorCode(t, badSig.Next()); code != 4009 {
		t.Fatalf("replayed signin: pusher:error %d, want 4009", code)
	}
	signin(signed, app, "u1")
	if ev := signed.Expect("pusher:signin_success"); !strings.Contains(ev.DataString(), `\"id\":\"u1\"`) && !strings.Contains(ev.DataString(), `"id":"u1"`) {
		t.Fatalf("signin_success: %s", ev.Data)
	}
	early.Subscribe("news") // public_before_signin
	// Public channels only: a correctly signed private or presence
	// subscription still waits for signin, and is refused when the grace
	// ends without one.
	early.Send("pusher:subscribe", map[string]string{"channel": "private-x",
		"auth": auth.SignChannel(pub.Key, pub.Secret, early.SocketID, "private-x", "")})
	member := `{"user_id":"u9"}`
	early.Send("pusher:subscribe", map[string]string{"channel": "presence-x", "channel_data": member,
		"auth": auth.SignChannel(pub.Key, pub.Secret, early.SocketID, "presence-x", member)})
	if e := expectSubError(t, early, "private-x"); e.Status != 401 {
		t.Fatalf("signed private subscription before signin: %+v", e)
	}
	if e := expectSubError(t, early, "presence-x"); e.Status != 401 {
		t.Fatalf("signed presence subscription before signin: %+v", e)
	}

	expectClose(t, silent, 4009, 10*time.Second)
	expectClose(t, badSig, 4009, 10*time.Second)
	expectClose(t, early, 4009, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // a wheel tick past the grace
	mustPong(t, signed)
	mustPong(t, tokened)
	signed.Subscribe("news")
}

func TestTokenExpiryOnLiveConnection(t *testing.T) {
	app := e2eApp("expiry")
	n := startApps(t, app)
	exp := time.Now().Add(2 * time.Second)
	tok := signJWT(t, jwt.SigningMethodHS256, []byte(app.Secret), "", jwt.MapClaims{"sub": "u1", "exp": exp.Unix()})
	lapsing := fantest.Dial(t, appURL(n, app), bearerHeader(tok))
	refreshed := fantest.Dial(t, appURL(n, app), bearerHeader(tok))
	lapsing.Subscribe("news")
	refreshed.Subscribe("news")
	signin(refreshed, app, "u1")
	refreshed.Expect("pusher:signin_success")

	expectClose(t, lapsing, 4009, 10*time.Second)
	if time.Now().Before(exp.Truncate(time.Second)) {
		t.Fatal("closed before the token expired")
	}
	time.Sleep(300 * time.Millisecond) // a wheel tick past the expiry
	mustPong(t, refreshed)
}

func TestOriginPolicy(t *testing.T) {
	app := e2eApp("origins")
	app.Auth.Mode = config.AuthOptional
	app.AllowedOrigins = []string{"http://good.test:8080", "*.example.com"}
	strict := e2eApp("reqorigin")
	strict.Auth.Mode = config.AuthOptional
	strict.RequireOrigin = true
	strict.AllowedOrigins = []string{"https://app.test"}
	n := startApps(t, app, strict)
	tok := mint(t, app, auth.MintOptions{Subject: "u1"})
	cases := []struct {
		app    config.App
		origin string
		status int
	}{
		{app, "http://good.test:8080", 101},
		{app, "https://a.example.com", 101},
		{app, "http://deep.a.example.com", 101},
		{app, "", 101}, // non-browser client
		{app, "http://good.test", 403},
		{app, "http://good.test:8081", 403},
		{app, "https://example.com", 403},
		{app, "https://evilexample.com", 403},
		{app, "https://example.com.evil.test", 403},
		{app, "null", 403},
		{strict, "https://app.test", 101},
		{strict, "", 403},
		{strict, "http://app.test", 403},
	}
	for _, tc := range cases {
		hdr := map[string]string{}
		if tc.origin != "" {
			hdr["Origin"] = tc.origin
		}
		if got := rawUpgrade(t, n.Addr(), appPath(tc.app.Key, ""), hdr); got.status != tc.status {
			t.Errorf("%s Origin %q: status %d, want %d", tc.app.ID, tc.origin, got.status, tc.status)
		}
	}
	// A valid token does not let a foreign Origin in.
	got := upgradeWith(t, n, app.Key, tok, carriers[0], map[string]string{"Origin": "https://evil.test"})
	if got.status != 403 {
		t.Fatalf("valid token, bad Origin: status %d, want 403", got.status)
	}
}

// Tokens and signatures never reach the logs, even at debug level.
func TestLogsNeverHoldTokens(t *testing.T) {
	app := e2eApp("logs")
	cfg := fantest.Config()
	cfg.Apps = []config.App{app}
	var buf syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	node, err := server.New(cfg, log, broker.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	n := &fantest.Node{Node: node, Cfg: cfg}
	good := mint(t, app, auth.MintOptions{Subject: "u1"})
	bad := signJWT(t, jwt.SigningMethodHS256, []byte("wrong"), "", jwt.MapClaims{"sub": "u2", "exp": time.Now().Add(time.Hour).Unix()})
	for _, by := range carriers {
		upgradeWith(t, n, app.Key, good, by, nil)
		upgradeWith(t, n, app.Key, bad, by, nil)
	}
	c := fantest.Dial(t, appURL(n, app), http.Header{"Authorization": {"Bearer " + good}})
	signin(c, app, "u1")
	c.Expect("pusher:signin_success")
	subscribeAuth(c, app, "private-x", "")
	c.Expect("pusher_internal:subscription_succeeded")
	node.Close()
	out := buf.String()
	if !strings.Contains(out, "upgrade refused") {
		t.Fatalf("the debug log is not being captured; got:\n%s", out)
	}
	for _, secret := range []string{good, bad, strings.Split(good, ".")[2], strings.Split(bad, ".")[2], app.Secret,
		auth.SignChannel(app.Key, app.Secret, c.SocketID, "private-x", "")} {
		if strings.Contains(out, secret) {
			t.Fatalf("log holds a credential %q:\n%s", secret, out)
		}
	}
}

// auth.jwt.algorithms limits the algorithms an app accepts: an app that
// lists only RS256 must refuse an HS256 token even when it is signed with
// the app secret. (Narrowing within a family, e.g. HS256 but not HS512,
// needs an algorithm list in auth.JWTOptions; not enforced yet.)
func TestConfiguredAlgorithmsAreEnforced(t *testing.T) {
	k := newKeys(t)
	rsOnly := e2eApp("rsonly")
	rsOnly.Auth.JWT.PublicKeyFile = writePEM(t, k.rsaPubPEM)
	rsOnly.Auth.JWT.Algorithms = []string{"RS256"}
	hsOnly := e2eApp("hsonly")
	hsOnly.Auth.JWT.Algorithms = []string{"HS256"}
	n := startApps(t, rsOnly, hsOnly)
	now := time.Now()
	c := jwt.MapClaims{"sub": "u1", "exp": now.Add(time.Hour).Unix()}
	cases := []struct {
		app    config.App
		tok    string
		status int
	}{
		{rsOnly, signJWT(t, jwt.SigningMethodRS256, k.rsa, "", c), 101},
		{rsOnly, signJWT(t, jwt.SigningMethodHS256, []byte(rsOnly.Secret), "", c), 401},
		{hsOnly, signJWT(t, jwt.SigningMethodHS256, []byte(hsOnly.Secret), "", c), 101},
	}
	for i, tc := range cases {
		if got := upgradeWith(t, n, tc.app.Key, tc.tok, carriers[0], nil); got.status != tc.status {
			t.Errorf("case %d (%s): status %d, want %d", i, tc.app.ID, got.status, tc.status)
		}
	}
}
