package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// jwk is the subset of RFC 7517/7518/8037 fields fanout reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads a JWK Set. Keys of other types or uses (encryption keys,
// "oct" keys, RSA keys under MinRSABits) are skipped; a signing key of a
// supported type that does not parse makes the whole set malformed, and so
// does a set with no usable key.
func parseJWKS(data []byte) ([]pubKey, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`JWKS has no "keys" array`)
	}
	var keys []pubKey
	for i, raw := range *doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("JWKS key %d: %w", i, err)
		}
		k, err := j.publicKey()
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d (kid %q): %w", i, j.Kid, err)
		}
		if k == nil {
			continue
		}
		pk := pubKey{kid: j.Kid, alg: j.Alg, key: k}
		if j.Alg != "" && !pk.fits(j.Alg) {
			return nil, fmt.Errorf("JWKS key %d (kid %q): alg %q does not fit kty %q", i, j.Kid, j.Alg, j.Kty)
		}
		keys = append(keys, pk)
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable signing key")
	}
	return keys, nil
}

// publicKey decodes j; (nil, nil) means "not for us, skip it".
func (j jwk) publicKey() (any, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, nil
	}
	if j.Alg != "" && !isAsymmetricAlg(j.Alg) {
		return nil, nil
	}
	switch j.Kty {
	case "RSA":
		return j.rsaKey()
	case "EC":
		return j.ecKey()
	case "OKP":
		return j.okpKey()
	}
	return nil, nil
}

func (j jwk) rsaKey() (any, error) {
	n, err1 := b64(j.N)
	e, err2 := b64(j.E)
	if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad RSA n or e")
	}
	ev := new(big.Int).SetBytes(e).Int64()
	if ev < 3 || ev%2 == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	k := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev)}
	if k.N.BitLen() < MinRSABits {
		return nil, nil
	}
	return k, nil
}

func (j jwk) ecKey() (any, error) {
	var c elliptic.Curve
	switch j.Crv {
	case "P-256":
		c = elliptic.P256()
	case "P-384":
		c = elliptic.P384()
	case "P-521":
		c = elliptic.P521()
	default:
		return nil, nil // a curve fanout does not verify with
	}
	size := (c.Params().BitSize + 7) / 8
	x, err1 := b64(j.X)
	y, err2 := b64(j.Y)
	if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
		return nil, errors.New("bad EC x or y")
	}
	point := append(append([]byte{4}, x...), y...)
	k, err := ecdsa.ParseUncompressedPublicKey(c, point)
	if err != nil {
		return nil, errors.New("EC point is not on the curve")
	}
	return k, nil
}

func (j jwk) okpKey() (any, error) {
	if j.Crv != "Ed25519" {
		return nil, nil // X25519 and friends are not signing keys
	}
	x, err := b64(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("bad Ed25519 x")
	}
	return ed25519.PublicKey(x), nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
