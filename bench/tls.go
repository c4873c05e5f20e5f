package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/cloudwego/netpoll"
)

// TLSOptions configure how the harness dials wss:// and https:// URLs.
// The zero value verifies the server against the system's roots and
// sends the URL's host as SNI (RFC 6066 section 3).
type TLSOptions struct {
	CAFile     string `json:"ca_file,omitempty"`     // PEM bundle of roots to trust instead of the system's
	Insecure   bool   `json:"insecure,omitempty"`    // skip certificate verification (self-signed test certificates)
	ServerName string `json:"server_name,omitempty"` // SNI and name to verify; default the URL's host
}

// isTLSURL reports whether u (ws, wss, http or https) needs TLS.
func isTLSURL(u *url.URL) bool { return u.Scheme == "wss" || u.Scheme == "https" }

// config builds the client configuration for a server at host
// ("name:port" or "name"). Errors name the CA file that could not be
// read or held no certificate.
func (t TLSOptions) config(host string) (*tls.Config, error) {
	name := t.ServerName
	if name == "" {
		name = host
		if h, _, err := net.SplitHostPort(host); err == nil {
			name = h
		}
	}
	cfg := &tls.Config{ServerName: name, InsecureSkipVerify: t.Insecure, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("bench: --ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bench: --ca %s: no PEM certificate", t.CAFile)
		}
	}
	return cfg, nil
}

// conn is what a client needs of its socket: netpoll.Connection for
// ws://, tlsConn for wss://.
type conn interface {
	Reader() netpoll.Reader
	Writer() netpoll.Writer
	Close() error
}

// tlsConn is a wss:// client socket. netpoll has no TLS, so crypto/tls
// runs over a plain net.Conn and one goroutine per connection reads it
// (readLoop), through netpoll's Reader and Writer over the tls.Conn so
// that the frame parser is the one ws:// clients use. That costs the
// client side a goroutine stack and crypto/tls's buffers per connection
// (tens of KB, see BENCHMARKS.md), which a harness spread over several
// worker processes can afford at tens of thousands of connections; the
// server under test is unaffected.
type tlsConn struct {
	tc *tls.Conn
	r  blockingReader
	w  netpoll.Writer
}

func newTLSConn(tc *tls.Conn) *tlsConn {
	return &tlsConn{tc: tc, r: blockingReader{netpoll.NewReader(tc)}, w: netpoll.NewWriter(tc)}
}

func (t *tlsConn) Reader() netpoll.Reader { return t.r }
func (t *tlsConn) Writer() netpoll.Writer { return t.w }
func (t *tlsConn) Close() error           { return t.tc.Close() }

// resetOnClose makes the close send a reset instead of lingering in
// TIME_WAIT, as for ws:// clients.
func (t *tlsConn) resetOnClose() {
	if tcp, ok := t.tc.NetConn().(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
}

// blockingReader makes Until wait for its delimiter, as Until on a
// netpoll connection does; netpoll's Reader over an io.Reader only looks
// at what is already buffered.
type blockingReader struct{ netpoll.Reader }

// errLineTooLong: no delimiter within maxLine buffered bytes.
var errLineTooLong = errors.New("bench: line too long")

const maxLine = 16 << 10

func (b blockingReader) Until(delim byte) ([]byte, error) {
	for {
		line, err := b.Reader.Until(delim)
		if err == nil {
			return line, nil
		}
		if b.Len() >= maxLine {
			return nil, errLineTooLong
		}
		if _, err := b.Peek(b.Len() + 1); err != nil {
			return nil, err
		}
	}
}

// tlsReason names a handshake failure for the failure table, without
// addresses: "tls: timeout", "tls: certificate" or crypto/tls's alert.
func tlsReason(err error) string {
	var cv *tls.CertificateVerificationError
	var ae tls.AlertError
	var ne net.Error
	switch {
	case errors.As(err, &cv):
		return "tls: certificate not trusted (--ca or --insecure)"
	case errors.As(err, &ae):
		return "tls: " + ae.Error()
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "tls: timeout"
	}
	return "tls: handshake failed"
}

// tlsFor is the client configuration for the host of URL raw, or nil
// (crypto/tls's defaults) when raw is not a TLS URL or its CA file
// cannot be read; fill has already reported the latter for --url.
func (o *Options) tlsFor(raw string) *tls.Config {
	u, err := url.Parse(raw)
	if err != nil || !isTLSURL(u) {
		return nil
	}
	cfg, err := o.TLS.config(u.Host)
	if err != nil {
		return nil
	}
	return cfg
}
