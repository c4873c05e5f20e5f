package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/tlsconn"
)

// newTLS reads the certificate pair (and client CA) of cfg and builds the
// TLS side of the listener. Errors are config.ConfigError naming the key
// whose file is at fault.
func (n *Node) newTLS(t config.TLS) (*tlsconn.Server, error) {
	certs, err := tlsconn.LoadCerts(t.Cert, t.Key)
	if err != nil {
		return nil, certConfigError(err)
	}
	o := tlsconn.Options{Certs: certs, Handshaked: func(_ tls.ConnectionState, err error) {
		if err != nil {
			n.Metrics.TLSHandshake(metrics.HandshakeFailed)
			return
		}
		n.Metrics.TLSHandshake(metrics.HandshakeOK)
	}, Established: func(version uint16, layer tlsconn.RecordLayer) {
		n.Metrics.TLSConnection(tlsVersion(version), string(layer))
	}, KernelTLS: t.KTLS != "off", KernelTLSEvent: func(e tlsconn.KernelEvent) {
		n.Metrics.KernelTLSEvent(string(e))
	}, Reclaimed: func(r tlsconn.Reclaim) {
		n.Metrics.TLSReclaim(r.Released)
		n.log.Debug("heap reclaimed after a burst of TLS handshakes", "handshakes", r.Handshakes,
			"released_bytes", r.Released, "took", r.Took)
	}}
	if t.ClientCA != "" {
		pem, err := os.ReadFile(t.ClientCA)
		if err != nil {
			return nil, config.ConfigError{Key: "server.tls.client_ca", Problem: err.Error()}
		}
		o.ClientCAs = x509.NewCertPool()
		if !o.ClientCAs.AppendCertsFromPEM(pem) {
			return nil, config.ConfigError{Key: "server.tls.client_ca", Problem: t.ClientCA + ": no PEM certificate"}
		}
	}
	srv, err := tlsconn.NewServer(o)
	if err != nil {
		return nil, err
	}
	n.certs = certs
	n.Metrics.SetTLSCertificateExpiry(certs.NotAfter())
	n.Metrics.ServeTLSCounters(string(tlsconn.KernelOn), string(tlsconn.KernelTXUser),
		string(tlsconn.KernelFallback), string(tlsconn.KernelRekeyUnsupported))
	ktls, why := tlsconn.KernelTLSStatus()
	n.Metrics.SetKernelTLS(ktls == "available")
	if t.KTLS == "off" {
		ktls, why = "off", "server.tls.ktls is off; records are protected in user space"
	}
	attrs := []any{"cert", t.Cert, "expires", certs.NotAfter(), "serial", certs.Leaf().SerialNumber.String(), "ktls", ktls}
	if why != "" {
		attrs = append(attrs, "ktls_reason", why)
	}
	n.log.Info("TLS on", attrs...)
	return srv, nil
}

// tlsVersion is the version label of fanout_tls_connections_total.
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	}
	return fmt.Sprintf("%#04x", v)
}

func certConfigError(err error) error {
	var ce tlsconn.CertError
	if errors.As(err, &ce) {
		return config.ConfigError{Key: "server.tls." + ce.File, Problem: ce.Path + ": " + ce.Err.Error()}
	}
	return err
}

// ErrNoTLS is ReloadTLS's answer on a node that serves no TLS.
var ErrNoTLS = errors.New("TLS is not configured")

// ReloadTLS reads the certificate pair again (on SIGHUP): new handshakes
// get it, open connections keep theirs. On error the old pair stays;
// ErrNoTLS when the node has no certificate.
func (n *Node) ReloadTLS() error {
	if n.certs == nil {
		return ErrNoTLS
	}
	if err := n.certs.Reload(); err != nil {
		return certConfigError(err)
	}
	n.Metrics.SetTLSCertificateExpiry(n.certs.NotAfter())
	n.log.Info("TLS certificate reloaded", "expires", n.certs.NotAfter(), "serial", n.certs.Leaf().SerialNumber.String())
	return nil
}
