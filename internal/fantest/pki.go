package fantest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a test certificate authority with ECDSA P-256 keys, written to
// a temporary directory: CAFile for clients (NODE_EXTRA_CA_CERTS),
// CertFile and KeyFile for the server (a leaf for 127.0.0.1 and
// localhost).
type PKI struct {
	Dir                       string
	CAFile, CertFile, KeyFile string
	Roots                     *x509.CertPool
	ca                        *x509.Certificate
	caKey                     *ecdsa.PrivateKey
}

// NewPKI makes a CA and a first leaf with serial number 1.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{Dir: t.TempDir()}
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1000), Subject: pkix.Name{CommonName: "fanout test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caKey = key
	p.Roots = x509.NewCertPool()
	p.Roots.AddCert(p.ca)
	p.CAFile = writePEM(t, p.Dir, "ca.pem", "CERTIFICATE", der)
	p.CertFile, p.KeyFile = p.Issue(t, 1, filepath.Join(p.Dir, "server"))
	return p
}

// Issue writes a server leaf with this serial number to prefix.crt and
// prefix.key (replacing them, for reload tests) and returns their paths.
func (p *PKI) Issue(t testing.TB, serial int64, prefix string) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Duration(serial) * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir, base := filepath.Split(prefix)
	keyFile = writePEM(t, dir, base+".key", "PRIVATE KEY", kder)
	certFile = writePEM(t, dir, base+".crt", "CERTIFICATE", der)
	return certFile, keyFile
}

// ClientConfig trusts the CA only.
func (p *PKI) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.Roots, ServerName: "127.0.0.1"}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writePEM writes through a temporary file and a rename, so a server
// reloading at that moment reads the old file or the new one, never half.
func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}
