package main

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// A missing, unreadable or bad certificate or key stops start-up with
// exit 2 and one line naming the key.
func TestBadTLSFilesExitTwoNamingTheKey(t *testing.T) {
	pki := fantest.NewPKI(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	_ = os.WriteFile(garbage, []byte("not PEM"), 0o600)
	otherCert, _ := pki.Issue(t, 7, filepath.Join(t.TempDir(), "other"))
	for _, c := range []struct{ cert, key, want string }{
		{"/nonexistent/cert.pem", pki.KeyFile, "server.tls.cert"},
		{pki.CertFile, "/nonexistent/key.pem", "server.tls.key"},
		{garbage, pki.KeyFile, "server.tls.cert"},
		{pki.CertFile, garbage, "server.tls.key"},
		{otherCert, pki.KeyFile, "server.tls.key"}, // the key is not the leaf's
		{pki.CertFile, "", "server.tls.key"},
	} {
		code, _, stderr := runCmd("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--tls-cert", c.cert, "--tls-key", c.key)
		if code != 2 || strings.Count(stderr, "fanout: config: "+c.want+": ") != 1 {
			t.Errorf("cert %s key %s: exit %d, %q; want 2 and one line naming %s", c.cert, c.key, code, stderr, c.want)
		}
	}
}

// SIGHUP with a new certificate while 1,000 wss connections are open:
// none of them drops, and new connections get the new leaf (serial 2).
// A bad file on a later SIGHUP keeps the current certificate.
func TestSIGHUPReloadsCertificateKeepingConnections(t *testing.T) {
	const conns = 1000
	pki := fantest.NewPKI(t)
	srv, addr := startServe(t, 3*time.Minute, "--auth-mode", "off", "--tls-cert", pki.CertFile, "--tls-key", pki.KeyFile)
	cfg := pki.ClientConfig()
	open := dialMany(t, conns, func() (*heldConn, error) { return dialTLSHeld(addr, cfg) })
	if s := serial(t, addr, cfg); s != 1 {
		t.Fatalf("first serial %d, want 1", s)
	}
	pki.Issue(t, 2, filepath.Join(pki.Dir, "server"))
	if err := srv.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitSerial(t, addr, cfg, 2)

	_ = os.WriteFile(pki.CertFile, []byte("broken"), 0o600)
	_ = srv.Process.Signal(syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond) // nothing to wait on: the reload must not happen
	if s := serial(t, addr, cfg); s != 2 {
		t.Fatalf("after a bad reload serial %d, want 2 kept", s)
	}

	// Every connection opened before the reloads still answers a ping.
	if n := unanswered(open); n > 0 {
		t.Fatalf("%d of %d connections dropped across SIGHUP", n, conns)
	}
}

func dialTLSHeld(addr string, cfg *tls.Config) (*heldConn, error) {
	d := ws.Dialer{Timeout: 30 * time.Second, TLSConfig: cfg}
	conn, br, _, err := d.Dial(context.Background(), "wss://"+addr+"/app/app-key?protocol=7&client=reload&version=1")
	if err != nil {
		return nil, err
	}
	h := &heldConn{Conn: conn, r: conn}
	if br != nil {
		h.r = br
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := wsutil.ReadServerText(h); err != nil { // connection_established
		conn.Close()
		return nil, err
	}
	return h, nil
}

// pingPong sends pusher:ping and reads until pusher:pong.
func pingPong(c *heldConn) bool {
	defer c.Close()
	if wsutil.WriteClientText(c, []byte(`{"event":"pusher:ping","data":{}}`)) != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		b, err := wsutil.ReadServerText(c)
		if err != nil {
			return false
		}
		if strings.Contains(string(b), "pusher:pong") {
			return true
		}
	}
}

// serial is the serial number of the leaf a new connection gets.
func serial(t *testing.T, addr string, cfg *tls.Config) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("tls dial: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func waitSerial(t *testing.T, addr string, cfg *tls.Config, want int64) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if serial(t, addr, cfg) == want {
			return
		}
	}
	t.Fatalf("new connections never got serial %d", want)
}
