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

// TLSConnection counts one connection whose TLS handshake succeeded in
// fanout_tls_connections_total, by version ("1.2", "1.3") and by the
// record layer that carries it from then on ("fanout": the server's own
// TLS 1.3 record layer; "crypto/tls": the standard library's).
func (m *Metrics) TLSConnection(version, recordLayer string) {
	m.set.GetOrCreateCounter(labelled2("fanout_tls_connections_total", "version", version, "record_layer", recordLayer)).Inc()
}

// SetTLSCertificateExpiry sets fanout_tls_certificate_expiry_timestamp_seconds,
// the NotAfter of the served leaf certificate in Unix seconds (the
// Prometheus convention for timestamps).
func (m *Metrics) SetTLSCertificateExpiry(t time.Time) {
	m.set.GetOrCreateGauge("fanout_tls_certificate_expiry_timestamp_seconds", nil).Set(float64(t.Unix()))
}

// KernelTLSEvent counts in fanout_tls_ktls_total, by event, what became
// of TLS 1.3 connections offered to kernel TLS: "on" (the kernel protects
// both directions), "tx_user" (reads only; writes stay in user space),
// "fallback" (the kernel refused; user space), "rekey_unsupported" (the
// peer's KeyUpdate could not be given to the kernel: connection ended).
func (m *Metrics) KernelTLSEvent(event string) {
	m.set.GetOrCreateCounter(labelled("fanout_tls_ktls_total", "event", event)).Inc()
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

// TLSReclaim counts one collection of the garbage of a burst of TLS
// handshakes in fanout_tls_reclaims_total, and the heap bytes it
// returned to the OS in fanout_tls_reclaimed_bytes_total.
func (m *Metrics) TLSReclaim(released uint64) {
	m.set.GetOrCreateCounter("fanout_tls_reclaims_total").Inc()
	m.set.GetOrCreateCounter("fanout_tls_reclaimed_bytes_total").Add(int(released))
}

// ServeTLSCounters serves, at 0 from now on, the TLS counters that are
// otherwise created by their first event: those of TLSReclaim and
// fanout_tls_ktls_total for each of ktlsEvents (KernelTLSEvent's
// events). Call it once on a node with TLS on, so a scrape lists them
// before the first burst of handshakes, and where the kernel has no TLS
// and no connection is ever offered to it.
func (m *Metrics) ServeTLSCounters(ktlsEvents ...string) {
	m.set.GetOrCreateCounter("fanout_tls_reclaims_total")
	m.set.GetOrCreateCounter("fanout_tls_reclaimed_bytes_total")
	for _, e := range ktlsEvents {
		m.set.GetOrCreateCounter(labelled("fanout_tls_ktls_total", "event", e))
	}
}
