package pusher_test

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/golang-jwt/jwt/v5"
)

// Helpers of the end-to-end authentication tests: real nodes, real
// sockets, tokens signed here with real keys.

const (
	e2eIssuer   = "https://issuer.test"
	e2eAudience = "fanout-e2e"
)

// e2eApp is an app in required mode with client events on.
func e2eApp(id string) config.App {
	a := config.DefaultApp()
	a.ID, a.Key, a.Secret = id, id+"-key", id+"-secret"
	a.ClientEvents = true
	return a
}

// startApps runs a node serving exactly apps.
func startApps(t *testing.T, apps ...config.App) *fantest.Node {
	t.Helper()
	cfg := fantest.Config()
	cfg.Apps = apps
	return fantest.Start(t, cfg, nil)
}

// appURL is the WebSocket URL of app on n.
func appURL(n *fantest.Node, a config.App) string { return n.URL(a.Key) }

// bearerHeader carries tok in an Authorization header.
func bearerHeader(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// signJWT signs claims with method and key, naming kid when not "".
func signJWT(t testing.TB, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

// claims are valid claims for sub at now (iss and aud of the strict app).
func claims(sub string, now time.Time, kv ...any) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "iss": e2eIssuer, "aud": e2eAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, k)
			continue
		}
		c[k] = kv[i+1]
	}
	return c
}

// rawJWT assembles a token from a header, claims and a signature text.
func rawJWT(header, claims any, sig string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + "." + sig
}

// e2eKeys are the asymmetric keys of the tests, made once per test.
type e2eKeys struct {
	rsa, otherRSA *rsa.PrivateKey
	ec, otherEC   *ecdsa.PrivateKey
	rsaPubPEM     []byte
}

func newKeys(t testing.TB) *e2eKeys {
	t.Helper()
	k := &e2eKeys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.otherRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.otherEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	k.rsaPubPEM = pubPEM(t, &k.rsa.PublicKey)
	return k
}

func pubPEM(t testing.TB, pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// writePEM stores pem in a temporary file and returns its path.
func writePEM(t *testing.T, pem []byte) string {
	p := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(p, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// serveJWKS serves a JWKS holding pub as an ES256 key named kid.
func serveJWKS(t *testing.T, kid string, pub *ecdsa.PublicKey) string {
	b := func(n *big.Int) string {
		buf := make([]byte, 32)
		return base64.RawURLEncoding.EncodeToString(n.FillBytes(buf))
	}
	body, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
		"x": b(pub.X), "y": b(pub.Y),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// upgradeResult is the answer to a hand-written upgrade request.
type upgradeResult struct {
	status int
	header http.Header
}

// rawUpgrade sends one WebSocket upgrade request for path with extra
// header lines and returns the HTTP status (101 on success); it closes the
// socket.
func rawUpgrade(t *testing.T, addr, path string, extra map[string]string) upgradeResult {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path, addr)
	b.WriteString("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	for k, v := range extra {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := nc.Write([]byte(b.String())); err != nil {
		t.Fatalf("write upgrade: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("read upgrade response: %v", err)
	}
	resp.Body.Close()
	return upgradeResult{status: resp.StatusCode, header: resp.Header}
}

// appPath is the upgrade path of app key with a query suffix.
func appPath(key, query string) string {
	p := "/app/" + key + "?protocol=7&client=e2e&version=1.0"
	if query != "" {
		p += "&" + query
	}
	return p
}

// tokenCarrier puts a token in one place of an upgrade request.
type tokenCarrier struct {
	name  string
	query func(tok string) string
	hdr   func(tok string) map[string]string
}

// carriers are the four places a token is read from: Authorization
// Bearer, Sec-WebSocket-Protocol, the cookie and the token query parameter.
var carriers = []tokenCarrier{
	{"authorization", nil, func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }},
	{"protocol", nil, func(tok string) map[string]string {
		return map[string]string{"Sec-WebSocket-Protocol": "pusher, " + auth.ProtocolTokenPrefix + tok}
	}},
	{"cookie", nil, func(tok string) map[string]string {
		return map[string]string{"Cookie": "theme=dark; " + auth.DefaultTokenCookie + "=" + tok}
	}},
	{"query", func(tok string) string { return "token=" + tok }, nil},
}

// upgradeWith tries an upgrade of app key carrying tok by carrier.
func upgradeWith(t *testing.T, n *fantest.Node, key, tok string, by tokenCarrier, more map[string]string) upgradeResult {
	t.Helper()
	q := ""
	hdr := map[string]string{}
	if by.query != nil {
		q = by.query(tok)
	}
	if by.hdr != nil {
		hdr = by.hdr(tok)
	}
	for k, v := range more {
		hdr[k] = v
	}
	return rawUpgrade(t, n.Addr(), appPath(key, q), hdr)
}

// mustPong proves a connection is still open and served.
func mustPong(t *testing.T, c *fantest.Client) {
	t.Helper()
	c.Send("pusher:ping", map[string]string{})
	if ev := c.Expect("pusher:pong"); ev.Event != "pusher:pong" {
		t.Fatalf("no pong: %+v", ev)
	}
}

// expectClose waits for the server's close frame and checks its code.
func expectClose(t *testing.T, c *fantest.Client, want int, within time.Duration) {
	t.Helper()
	code, err := c.CloseCode(within)
	if err != nil || int(code) != want {
		t.Fatalf("close code %d (%v), want %d", code, err, want)
	}
}

// subError is the data of a pusher:subscription_error.
type subError struct {
	Type   string `json:"type"`
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// expectSubError reads events until the subscription error of channel.
func expectSubError(t *testing.T, c *fantest.Client, channel string) subError {
	t.Helper()
	ev := c.Expect("pusher:subscription_error")
	if ev.Channel != channel {
		t.Fatalf("subscription_error for %q, want %q", ev.Channel, channel)
	}
	var e subError
	if err := json.Unmarshal([]byte(ev.DataString()), &e); err != nil {
		t.Fatalf("subscription_error data %s: %v", ev.Data, err)
	}
	return e
}

// errorCode is the code of a pusher:error event.
func errorCode(t *testing.T, ev fantest.Event) int {
	t.Helper()
	if ev.Event != "pusher:error" {
		t.Fatalf("got %+v, want pusher:error", ev)
	}
	var d struct {
		Code int `json:"code"`
	}
	if err := json.Unmarshal([]byte(ev.DataString()), &d); err != nil {
		t.Fatalf("pusher:error data %s: %v", ev.Data, err)
	}
	return d.Code
}

// subscribeAuth subscribes c to a private or presence channel with the
// app's HMAC signature (channelData "" for private).
func subscribeAuth(c *fantest.Client, a config.App, channel, channelData string) {
	sig := auth.SignChannel(a.Key, a.Secret, c.SocketID, channel, channelData)
	d := map[string]string{"channel": channel, "auth": sig}
	if channelData != "" {
		d["channel_data"] = channelData
	}
	c.Send("pusher:subscribe", d)
}

// signin sends pusher:signin for user id, signed with the app's secret.
func signin(c *fantest.Client, a config.App, id string) {
	ud := `{"id":"` + id + `"}`
	c.Send("pusher:signin", map[string]string{"user_data": ud, "auth": auth.SignUser(a.Key, a.Secret, c.SocketID, ud)})
}

// mint is a valid HS256 token of app a for sub.
func mint(t testing.TB, a config.App, o auth.MintOptions) string {
	t.Helper()
	tok, err := auth.Mint(a.Secret, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
