package bench

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AuthOptions make connections carry a JWT each and make a share of
// them presence members. The zero value opens unauthenticated
// connections subscribed to public channels.
type AuthOptions struct {
	JWTSecret string  `json:"jwt_secret,omitempty"` // HS* secret; "" with KeyFile "" means no token
	KeyFile   string  `json:"key_file,omitempty"`   // PEM private key (RSA, EC or Ed25519) instead of a secret
	Alg       string  `json:"alg,omitempty"`        // default HS256 with a secret, else by key: RS256, ES256/384/512, EdDSA
	SubPrefix string  `json:"sub_prefix,omitempty"` // sub = SubPrefix + global connection index; default "user-"
	TTL       float64 `json:"ttl,omitempty"`        // exp = now + TTL seconds; default 3600
	Channels  string  `json:"channels,omitempty"`   // comma-separated grant patterns, "{sub}" replaced; "" for none
	TokenIn   string  `json:"token_in,omitempty"`   // "query" (default), "header", "protocol" or "cookie"
	Cookie    string  `json:"cookie,omitempty"`     // cookie name for TokenIn "cookie"; default "fanout_token"
	Presence  float64 `json:"presence,omitempty"`   // share of connections on presence channels, 0..1
}

// tokenPlaces are the TokenIn values: where the upgrade request carries
// the token.
var tokenPlaces = []string{"query", "header", "protocol", "cookie"}

func (a *AuthOptions) jwt() bool { return a.JWTSecret != "" || a.KeyFile != "" }

// fill applies defaults and checks the values.
func (a *AuthOptions) fill() error {
	if a.JWTSecret != "" && a.KeyFile != "" {
		return fmt.Errorf("--jwt-secret and --jwt-key: give one")
	}
	if a.Presence < 0 || a.Presence > 1 {
		return fmt.Errorf("--presence %v: want a share between 0 and 1", a.Presence)
	}
	a.SubPrefix = or(a.SubPrefix, "user-")
	a.TokenIn = or(a.TokenIn, "query")
	a.Cookie = or(a.Cookie, "fanout_token")
	if a.TTL <= 0 {
		a.TTL = 3600
	}
	valid := false
	for _, p := range tokenPlaces {
		valid = valid || a.TokenIn == p
	}
	if !valid {
		return fmt.Errorf("--token-in %q: want one of %s", a.TokenIn, strings.Join(tokenPlaces, ", "))
	}
	if !a.jwt() {
		return nil
	}
	s, err := newSigner(*a) // check the key and algorithm once, in the parent
	if err != nil {
		return err
	}
	a.Alg = s.method.Alg()
	return nil
}

// authSummary describes o.Auth for result files; "" when off.
func (o *Options) authSummary() string {
	a := o.Auth
	var parts []string
	if a.jwt() {
		s := "JWT " + a.Alg + " in " + a.TokenIn
		if a.Channels != "" {
			s += ", grant " + a.Channels
		}
		parts = append(parts, s)
	}
	if a.Presence > 0 {
		parts = append(parts, strconv.FormatFloat(a.Presence*100, 'f', -1, 64)+"% presence")
	}
	return strings.Join(parts, ", ")
}

// signer makes the per-connection tokens of one run.
type signer struct {
	a      AuthOptions
	method jwt.SigningMethod
	key    any
}

func newSigner(a AuthOptions) (*signer, error) {
	s := &signer{a: a}
	if a.JWTSecret != "" {
		s.key = []byte(a.JWTSecret)
		s.method = jwt.GetSigningMethod(or(a.Alg, "HS256"))
		if _, ok := s.method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("--jwt-alg %q: a secret signs HS256, HS384 or HS512", a.Alg)
		}
		return s, nil
	}
	pem, err := os.ReadFile(a.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("--jwt-key: %w", err)
	}
	def := ""
	if k, err := jwt.ParseRSAPrivateKeyFromPEM(pem); err == nil {
		s.key, def = k, "RS256"
	} else if k, err := jwt.ParseECPrivateKeyFromPEM(pem); err == nil {
		s.key, def = k, "ES"+strconv.Itoa(map[int]int{256: 256, 384: 384, 521: 512}[k.Curve.Params().BitSize])
	} else if k, err := jwt.ParseEdPrivateKeyFromPEM(pem); err == nil {
		s.key, def = k, "EdDSA"
	} else {
		return nil, fmt.Errorf("--jwt-key %s: not a PEM RSA, EC or Ed25519 private key", a.KeyFile)
	}
	s.method = jwt.GetSigningMethod(or(a.Alg, def))
	ok := false
	switch s.method.(type) {
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		_, ok = s.key.(*rsa.PrivateKey)
	case *jwt.SigningMethodECDSA:
		_, ok = s.key.(*ecdsa.PrivateKey)
	case *jwt.SigningMethodEd25519:
		_, ok = s.key.(ed25519.PrivateKey)
	}
	if !ok {
		return nil, fmt.Errorf("--jwt-alg %q does not fit the key in %s", a.Alg, a.KeyFile)
	}
	return s, nil
}

// sub is the user id of global connection g.
func (a *AuthOptions) sub(g int) string { return a.SubPrefix + strconv.Itoa(g) }

// token signs the JWT of the connection with user id sub: claims sub,
// exp and, when a pattern is set, channels.
func (s *signer) token(sub string) (string, error) {
	claims := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Duration(s.a.TTL * float64(time.Second))).Unix()}
	if s.a.Channels != "" {
		var grant []string
		for _, p := range strings.Split(s.a.Channels, ",") {
			if p = strings.TrimSpace(p); p != "" {
				grant = append(grant, strings.ReplaceAll(p, "{sub}", sub))
			}
		}
		claims["channels"] = grant
	}
	return jwt.NewWithClaims(s.method, claims).SignedString(s.key)
}

// upgradeParts returns what the upgrade request gains to carry token:
// a query suffix ("&token=...") or one header (name, value).
func (a *AuthOptions) upgradeParts(token string) (query, name, value string) {
	switch a.TokenIn {
	case "header":
		return "", "Authorization", "Bearer " + token
	case "protocol":
		return "", "Sec-WebSocket-Protocol", "bearer." + token
	case "cookie":
		return "", "Cookie", a.Cookie + "=" + token
	}
	return "&token=" + url.QueryEscape(token), "", ""
}

// presence reports whether global connection g joins a presence channel:
// Presence of every 1,000 consecutive connections, spread evenly.
func (a *AuthOptions) presence(g int) bool {
	if a.Presence <= 0 {
		return false
	}
	k := g % 1000
	return int(float64(k+1)*a.Presence) > int(float64(k)*a.Presence)
}

// presenceData is the channel_data of user sub, as a JSON string.
func presenceData(sub string) string {
	b, _ := json.Marshal(map[string]any{"user_id": sub, "user_info": map[string]string{"name": sub}})
	return string(b)
}
