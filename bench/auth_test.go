package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/golang-jwt/jwt/v5"
)

// writeKey writes priv as PKCS#8 PEM and its public key as PKIX PEM.
func writeKey(t *testing.T, priv any, pub any) (privFile, pubFile string) {
	t.Helper()
	dir := t.TempDir()
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	privFile, pubFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	os.WriteFile(privFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600)
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pb}), 0o600)
	return privFile, pubFile
}

// Tokens carry sub, exp and the channels grant, signed with the
// algorithm the key calls for, and verify with the public key.
func TestSignerKeys(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	epub, edk, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		priv, pub any
		alg       string
	}{{rk, &rk.PublicKey, "RS256"}, {ek, &ek.PublicKey, "ES384"}, {edk, epub, "EdDSA"}} {
		privFile, _ := writeKey(t, c.priv, c.pub)
		a := AuthOptions{KeyFile: privFile, Channels: "private-{sub}.*, presence-room-*"}
		if err := a.fill(); err != nil {
			t.Fatal(err)
		}
		if a.Alg != c.alg {
			t.Fatalf("%T: alg %s, want %s", c.priv, a.Alg, c.alg)
		}
		s, err := newSigner(a)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.token(a.sub(7))
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return c.pub, nil },
			jwt.WithValidMethods([]string{c.alg}), jwt.WithExpirationRequired()); err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		if claims["sub"] != "user-7" || fmt.Sprint(claims["channels"]) != "[private-user-7.* presence-room-*]" {
			t.Fatalf("%s claims %v", c.alg, claims)
		}
	}
	if err := (&AuthOptions{JWTSecret: "s", Alg: "RS256"}).fill(); err == nil {
		t.Fatal("a secret with RS256 was accepted")
	}
	if err := (&AuthOptions{JWTSecret: "s", TokenIn: "body"}).fill(); err == nil {
		t.Fatal("--token-in body was accepted")
	}
}

func TestPresenceShare(t *testing.T) {
	a := AuthOptions{Presence: 0.1}
	n := 0
	for g := range 5000 {
		if a.presence(g) {
			n++
		}
	}
	if n != 500 {
		t.Fatalf("%d of 5000 on presence, want 500", n)
	}
}

// Against fanout with auth required: every token place admits every
// connection, presence members subscribe with signed user data, and a
// token signed with the wrong secret is refused at the upgrade.
func TestAuthenticatedConnections(t *testing.T) {
	n := startFanout(t, "required")
	app := n.Cfg.Apps[0]
	run := func(a AuthOptions, conns int) *Result {
		t.Helper()
		res, err := Execute(testCtx(t), Options{Scenario: "connect", URLs: []string{"ws://" + n.Addr()},
			AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: conns, Channels: 2, Workers: 1,
			Duration: 10 * time.Millisecond, Quiet: true, Auth: a}, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, place := range tokenPlaces {
		res := run(AuthOptions{JWTSecret: app.Secret, TokenIn: place, Channels: "private-{sub}.*", Presence: 0.5}, 10)
		if res.Subscribed != 10 || res.Failed != 0 {
			t.Fatalf("token in %s: subscribed %d failed %d %v", place, res.Subscribed, res.Failed, res.Failures)
		}
		if res.Auth == "" {
			t.Fatal("result does not say how connections authenticated")
		}
	}
	res := run(AuthOptions{JWTSecret: "not-the-secret"}, 5)
	if res.Subscribed != 0 || res.Failures["upgrade refused: HTTP/1.1 401 Unauthorized"] != 5 {
		t.Fatalf("wrong secret: subscribed %d failures %v", res.Subscribed, res.Failures)
	}
}

// A PEM key signs tokens the server verifies with the public half.
func TestAuthenticatedWithKeyFile(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	privFile, pubFile := writeKey(t, priv, pub)
	cfg := fantest.Config()
	cfg.Apps[0].Auth.Mode = "required"
	cfg.Apps[0].Auth.JWT.PublicKeyFile = pubFile
	n := fantest.Start(t, cfg, nil)
	app := n.Cfg.Apps[0]
	res, err := Execute(testCtx(t), Options{Scenario: "connect", URLs: []string{"ws://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: 6, Workers: 1, Duration: 10 * time.Millisecond,
		Quiet: true, Auth: AuthOptions{KeyFile: privFile, TokenIn: "header"}}, os.Stderr)
	if err != nil || res.Subscribed != 6 || res.Failed != 0 {
		t.Fatalf("err %v subscribed %d failures %v", err, res.Subscribed, res.Failures)
	}
}

// The storm, watcher included, works with auth required, each of its
// connections carrying a token in Sec-WebSocket-Protocol.
func TestStormAuthenticated(t *testing.T) {
	n := startFanout(t, "required")
	app := n.Cfg.Apps[0]
	res, err := Execute(testCtx(t), Options{Scenario: "storm", URLs: []string{"ws://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: 10, Senders: 2, Rate: 10,
		Duration: 500 * time.Millisecond, ProbeEvery: 200 * time.Millisecond, Workers: 1, Quiet: true,
		Auth: AuthOptions{JWTSecret: app.Secret, TokenIn: "protocol"}}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(); err != nil || res.ConnectProbe.Count == 0 || res.Delivered == 0 {
		t.Fatalf("check %v, probes %+v, delivered %d", err, res.ConnectProbe, res.Delivered)
	}
}
