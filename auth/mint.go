package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTokenTTL is the token lifetime when MintOptions.TTL is zero.
const DefaultTokenTTL = time.Hour

// MintOptions describes a token to mint.
type MintOptions struct {
	// Algorithm is the JWS alg. "" means HS256 for Mint, and the alg of
	// the key type for MintWithKey (RS256, ES256/384/512 by curve, EdDSA).
	Algorithm string
	// Subject is the "sub" claim (the user id); "" leaves it out.
	Subject string
	// Channels is the "channels" claim; nil leaves it out.
	Channels []string
	// TTL sets exp = Now + TTL; 0 means DefaultTokenTTL (1 h).
	TTL time.Duration
	// Issuer and Audience set "iss" and "aud"; "" leaves them out.
	Issuer, Audience string
	// Now is the issue time ("iat"); the zero value means time.Now().
	Now time.Time
	// UserInfo is the optional "user_info" claim; nil leaves it out.
	UserInfo json.RawMessage
}

func (o MintOptions) claims() tokenClaims {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	c := tokenClaims{Channels: o.Channels, UserInfo: o.UserInfo}
	c.Subject, c.Issuer = o.Subject, o.Issuer
	if o.Audience != "" {
		c.Audience = jwt.ClaimStrings{o.Audience}
	}
	c.IssuedAt = unixSeconds(now)
	c.Expires = unixSeconds(now.Add(ttl))
	return c
}

// Mint signs a token with an HMAC algorithm (HS256, HS384, HS512).
func Mint(secret string, o MintOptions) (string, error) {
	alg := o.Algorithm
	if alg == "" {
		alg = "HS256"
	}
	if !isHMACAlg(alg) {
		return "", fmt.Errorf("auth: Mint signs with HS256/384/512, not %q; use MintWithKey", alg)
	}
	if secret == "" {
		return "", errors.New("auth: Mint needs a non-empty secret")
	}
	return sign(alg, []byte(secret), o)
}

// MintWithKey signs a token with the private key in privateKeyPEM
// ("PRIVATE KEY" PKCS#8, "RSA PRIVATE KEY" or "EC PRIVATE KEY"). The
// Algorithm must fit the key type, as Verify requires.
func MintWithKey(privateKeyPEM []byte, o MintOptions) (string, error) {
	key, err := parsePrivatePEM(privateKeyPEM)
	if err != nil {
		return "", err
	}
	pub := key.Public()
	alg := o.Algorithm
	if alg == "" {
		alg = defaultAlg(pub)
	}
	if !algFitsKey(alg, pub) {
		return "", fmt.Errorf("auth: alg %q does not fit a %T key", alg, pub)
	}
	return sign(alg, key, o)
}

func sign(alg string, key any, o MintOptions) (string, error) {
	c := o.claims()
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), &c)
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("auth: signing: %w", err)
	}
	return s, nil
}

func defaultAlg(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		return ecAlg(k.Curve)
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

func parsePrivatePEM(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("auth: private key PEM holds no PEM block")
	}
	var k any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("auth: unsupported private key PEM block %q", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: private key PEM: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("auth: unsupported private key type %T", k)
	}
	return s, nil
}
