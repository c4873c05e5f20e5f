package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// CertError says which file of a certificate pair could not be used.
type CertError struct {
	File string // "cert" or "key" (also when the key is not the leaf's)
	Path string
	Err  error
}

func (e CertError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.File, e.Path, e.Err)
}

func (e CertError) Unwrap() error { return e.Err }

// Certs holds the certificate served to new handshakes: a PEM certificate
// chain and its private key, loaded from two files.
type Certs struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadCerts reads the pair once; it fails with a CertError naming the file
// that is missing, unreadable or not a PEM certificate or key.
func LoadCerts(certFile, keyFile string) (*Certs, error) {
	c := &Certs{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again and, when they hold a valid pair, serves
// it to handshakes from now on. On error the previous pair stays.
func (c *Certs) Reload() error {
	certPEM, err := os.ReadFile(c.certFile)
	if err != nil {
		return CertError{File: "cert", Path: c.certFile, Err: err}
	}
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return CertError{File: "key", Path: c.keyFile, Err: err}
	}
	if err := checkCertPEM(certPEM); err != nil {
		return CertError{File: "cert", Path: c.certFile, Err: err}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil { // the chain parsed: the key is bad or not the leaf's
		return CertError{File: "key", Path: c.keyFile, Err: err}
	}
	c.cur.Store(&pair)
	return nil
}

// checkCertPEM reports whether b holds at least one PEM CERTIFICATE block
// and every such block parses as X.509.
func checkCertPEM(b []byte) error {
	n := 0
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("no PEM CERTIFICATE block")
	}
	return nil
}

// Current is the certificate new handshakes get (its Leaf is parsed).
func (c *Certs) Current() *tls.Certificate { return c.cur.Load() }

// NotAfter is the expiry of the current leaf certificate.
func (c *Certs) NotAfter() time.Time {
	if l := c.cur.Load().Leaf; l != nil {
		return l.NotAfter
	}
	return time.Time{}
}

// Leaf returns the parsed leaf of the current certificate.
func (c *Certs) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

func (c *Certs) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}
