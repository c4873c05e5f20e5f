package metrics

import "time"

// TLS handshake results, the values of the result label of
// fanout_tls_handshakes_total.
const (
	HandshakeOK     = "ok"
	HandshakeFailed = "failed"
)

// TLSHandshake counts one TLS handshake by result (HandshakeOK,
// HandshakeFailed) in fanout_tls_handshakes_total.
func (m *Metrics) TLSHandshake(result string) {
	m.set.GetOrCreateCounter(labelled("fanout_tls_handshakes_total", "result", result)).Inc()
}

// SetTLSCertificateExpiry sets fanout_tls_certificate_expiry_timestamp_seconds,
// the NotAfter of the served leaf certificate in Unix seconds (the
// Prometheus convention for timestamps).
func (m *Metrics) SetTLSCertificateExpiry(t time.Time) {
	m.set.GetOrCreateGauge("fanout_tls_certificate_expiry_timestamp_seconds", nil).Set(float64(t.Unix()))
}

// SetKernelTLS sets fanout_tls_ktls_available: 1 when the kernel offers
// TLS offload (TCP_ULP "tls"), else 0.
func (m *Metrics) SetKernelTLS(ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	m.set.GetOrCreateGauge("fanout_tls_ktls_available", nil).Set(v)
}
