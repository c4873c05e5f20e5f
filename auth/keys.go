package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinRSABits is the smallest RSA modulus accepted for verification. Smaller
// PEM keys are a NewVerifier error; smaller JWKS keys are skipped.
const MinRSABits = 2048

// pubKey is one verification key with what the key set said about it.
type pubKey struct {
	kid string // "" for PEM keys
	alg string // the JWK "alg" when given, else ""
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// fits reports whether k may verify a token signed with alg: the key type
// (and, for ECDSA, the curve) must be the one alg names, and a key set's
// own "alg", when present, must be alg.
func (k pubKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	return algFitsKey(alg, k.key)
}

func algFitsKey(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" || alg == "RS384" || alg == "RS512"
	case *ecdsa.PublicKey:
		return alg == ecAlg(k.Curve)
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// ecAlg is the JWS algorithm for an ECDSA curve, "" when unsupported.
func ecAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return ""
}

func isAsymmetricAlg(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA":
		return true
	}
	return false
}

func isHMACAlg(alg string) bool {
	return alg == "HS256" || alg == "HS384" || alg == "HS512"
}

// parsePublicPEM reads every PEM block in data as a public key
// ("PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE"). Errors name the
// block by position and the problem; private keys are refused.
func parsePublicPEM(data []byte) ([]pubKey, error) {
	var keys []pubKey
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		k, err := parsePublicBlock(b)
		if err != nil {
			return nil, fmt.Errorf("auth: PEM block %d (%s): %w", n, b.Type, err)
		}
		keys = append(keys, pubKey{key: k})
	}
	if len(keys) == 0 {
		return nil, errors.New("auth: public key PEM holds no PEM block")
	}
	if strings.TrimSpace(string(data)) != "" {
		return nil, errors.New("auth: public key PEM has trailing data that is not a PEM block")
	}
	return keys, nil
}

func parsePublicBlock(b *pem.Block) (any, error) {
	var k any
	var err error
	switch {
	case b.Type == "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(b.Bytes)
	case b.Type == "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(b.Bytes)
	case b.Type == "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(b.Bytes); err == nil {
			k = c.PublicKey
		}
	case strings.Contains(b.Type, "PRIVATE KEY"):
		return nil, errors.New("a private key where a public key is expected")
	default:
		return nil, errors.New("unsupported PEM block type")
	}
	if err != nil {
		return nil, err
	}
	return checkPublicKey(k)
}

// checkPublicKey accepts RSA (at least MinRSABits), ECDSA on P-256, P-384
// or P-521, and Ed25519 keys.
func checkPublicKey(k any) (any, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key of %d bits, need at least %d", k.N.BitLen(), MinRSABits)
		}
	case *ecdsa.PublicKey:
		if ecAlg(k.Curve) == "" {
			return nil, errors.New("unsupported ECDSA curve")
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return k, nil
}
