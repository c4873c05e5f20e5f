package tlsconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/fanout/fanout/poller"
	"github.com/panjf2000/ants/v2"
)

// Options configure a Server. The zero value of each field means the
// default given on it.
type Options struct {
	// Certs is the certificate to serve; required.
	Certs *Certs
	// ClientCAs, when set, asks every client for a certificate and
	// verifies one that is given against these roots (mutual TLS for the
	// HTTP API; browsers that have none still connect). nil asks for none.
	ClientCAs *x509.CertPool
	// MaxHandshakes bounds the handshakes running at once on the pool; a
	// connection whose ClientHello finds it full is closed. 0 means 1024.
	MaxHandshakes int
	// Handshaked, when set, is called once per session with the
	// handshake's outcome (for metrics and logs): on the pool goroutine,
	// or on the loop goroutine for a first flight refused before any
	// handshake started. It must not block.
	Handshaked func(state tls.ConnectionState, err error)
	// Established, when set, is called once per session whose handshake
	// succeeded, with the TLS version and the record layer that carries
	// it from then on, on the pool goroutine. It must not block.
	Established func(version uint16, layer RecordLayer)
	// IdleAEAD is how often connections that sent nothing since the last
	// look drop their write cipher state (AES-GCM: about 800 bytes),
	// which they build again when next sent to: an idle connection keeps
	// only its keys, a connection being broadcast to keeps its cipher. 0
	// means 1 s.
	IdleAEAD time.Duration
	// ReclaimAfter is how long handshakes must have been quiet, after a
	// burst of them, before their garbage is collected and the freed
	// pages returned to the OS, once (reclaim.go). 0 means 1 s.
	ReclaimAfter time.Duration
	// NoReclaim leaves the garbage of handshake bursts to the Go
	// runtime's own pacing. false (the default) reclaims it.
	NoReclaim bool
	// Reclaimed, when set, is called after each reclaim (for metrics and
	// logs), on the reclaimer's goroutine. It must not block.
	Reclaimed func(Reclaim)
	// KeepCryptoTLS keeps every connection on crypto/tls's record layer
	// after its handshake, as TLS 1.2 connections are. false (the
	// default) moves TLS 1.3 connections to the package's own.
	KeepCryptoTLS bool
	// KernelTLS hands TLS 1.3 connections to the kernel's TLS (Linux
	// TCP_ULP "tls", TLS_TX and TLS_RX) after their handshake where the
	// kernel offers it; a connection the kernel refuses stays on the
	// package's record layer. false (the default) keeps every connection
	// in user space.
	KernelTLS bool
	// KernelTLSEvent, when set, is told what became of each connection
	// offered to the kernel and of a KeyUpdate the kernel could not take,
	// on the loop goroutine. It must not block.
	KernelTLSEvent func(KernelEvent)
}

// RecordLayer names what protects a connection's records after its
// handshake.
type RecordLayer string

const (
	// LayerFanout: the package's TLS 1.3 record layer (records.go).
	LayerFanout RecordLayer = "fanout"
	// LayerCryptoTLS: the standard library's tls.Conn (TLS 1.2).
	LayerCryptoTLS RecordLayer = "crypto/tls"
)

// Server is the TLS side of a listener: its configuration and the pool
// that runs handshakes.
type Server struct {
	cfg     *tls.Config
	pool    *ants.Pool
	warm    *warmSet
	reclaim *reclaimer // nil with NoReclaim
	opts    Options
	// kernel: Options.KernelTLS and the kernel offers TLS (probed once)
	kernel bool
}

// NewServer builds the tls.Config: TLS 1.2 and 1.3 only, ECDHE key
// exchange with AEAD ciphers only (RFC 7525 section 4.2), ALPN http/1.1
// (RFC 7301), the certificate read from Certs for every handshake.
func NewServer(o Options) (*Server, error) {
	if o.Certs == nil {
		return nil, fmt.Errorf("tlsconn: no certificate")
	}
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = 1024
	}
	if o.IdleAEAD <= 0 {
		o.IdleAEAD = time.Second
	}
	if o.ReclaimAfter <= 0 {
		o.ReclaimAfter = time.Second
	}
	pool, err := ants.NewPool(o.MaxHandshakes, ants.WithNonblocking(true), ants.WithExpiryDuration(time.Second))
	if err != nil {
		return nil, fmt.Errorf("tlsconn: pool: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		MaxVersion:     tls.VersionTLS13,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: o.Certs.getCertificate,
		// TLS 1.3 suites are all AEAD and not configurable; for 1.2, only
		// forward-secret AEAD suites.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
	if o.ClientCAs != nil {
		cfg.ClientCAs = o.ClientCAs
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	cfg.GetConfigForClient = keyLogFor(cfg)
	srv := &Server{cfg: cfg, pool: pool, warm: newWarmSet(o.IdleAEAD), opts: o}
	if o.KernelTLS && !o.KeepCryptoTLS {
		srv.kernel, _ = KernelTLS()
	}
	if !o.NoReclaim {
		srv.reclaim = newReclaimer(o.ReclaimAfter, o.Reclaimed)
	}
	return srv, nil
}

// keyLogFor returns the GetConfigForClient of base: each handshake runs
// on a copy of base whose KeyLogWriter is the session's own handover, so
// the traffic secrets reach the session they belong to and no other.
func keyLogFor(base *tls.Config) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		w, ok := hi.Conn.(*wire)
		if !ok {
			return nil, nil
		}
		w.mu.Lock()
		h := w.hand
		w.mu.Unlock()
		if h == nil {
			return nil, nil
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		c.KeyLogWriter = h
		return c, nil
	}
}

// Config returns the server's tls.Config (to compare against, or to serve
// a net/http listener the same way). Do not modify it.
func (s *Server) Config() *tls.Config { return s.cfg }

// Close releases the handshake pool and stops dropping idle cipher
// states and reclaiming the garbage of handshakes.
func (s *Server) Close() {
	s.pool.Release()
	s.warm.close()
	s.reclaim.close()
}

// NewSession starts TLS on pc: set the result as pc's codec in OnOpen.
// deadline bounds the handshake (the caller's upgrade deadline).
func (s *Server) NewSession(pc *poller.Conn, deadline time.Time) *Session {
	ct := &cryptoTLS{deadline: deadline}
	ct.w.pc = pc
	ct.w.wake = make(chan struct{}, 1)
	ct.tc = tls.Server(&ct.w, s.cfg)
	ss := &Session{srv: s, pc: pc}
	ss.ct.Store(ct)
	return ss
}
