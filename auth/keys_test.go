package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
)

// testKey is a generated key pair in the forms the tests need.
type testKey struct {
	priv    crypto.Signer
	privPEM []byte
	pubPEM  []byte
}

var (
	keysOnce sync.Once
	keys     map[string]testKey // "rsa", "rsa-b", "p256", "p384", "p521", "ed", "rsa1024"
)

// testKeys generates the keys once per test binary.
func testKeys(tb testing.TB) map[string]testKey {
	tb.Helper()
	keysOnce.Do(func() {
		keys = map[string]testKey{}
		gen := map[string]func() (crypto.Signer, error){
			"rsa":     func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
			"rsa-b":   func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
			"rsa1024": func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 1024) },
			"p256":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
			"p384":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
			"p521":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
			"ed": func() (crypto.Signer, error) {
				_, k, err := ed25519.GenerateKey(rand.Reader)
				return k, err
			},
		}
		for name, g := range gen {
			k, err := g()
			if err != nil {
				panic(err)
			}
			keys[name] = pemPair(k)
		}
	})
	return keys
}

func pemPair(k crypto.Signer) testKey {
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic(err)
	}
	return testKey{
		priv:    k,
		privPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pubPEM:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
	}
}
