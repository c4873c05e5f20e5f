package interop

import (
	"bytes"
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/internal/syncbuf"
)

// tls13Suites are the TLS 1.3 cipher suites (RFC 8446 appendix B.4), by
// their IANA names, which OpenSSL, curl and Node also use.
var tls13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// upgradeRequest opens a Pusher WebSocket (RFC 6455 section 4.1).
const upgradeRequest = "GET /app/app-key?protocol=7&client=interop&version=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
	"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// pingFrame is a client's pusher:ping in one masked text frame (RFC 6455
// section 5.2; the masking key is zero, which leaves the payload as is).
func pingFrame() []byte {
	p := `{"event":"pusher:ping","data":{}}`
	return append([]byte{0x81, 0x80 | byte(len(p)), 0, 0, 0, 0}, p...)
}

// waitFor waits until s has appeared n times in out; the deadline only
// bounds a failure.
func waitFor(t *testing.T, out *syncbuf.Buffer, what, s string, n int) {
	t.Helper()
	if !out.WaitCount(s, n, 20*time.Second) {
		t.Fatalf("%s: %q not seen %d times in:\n%q", what, s, n, out.String())
	}
}

func tlsNode(t *testing.T) (*fantest.Node, *fantest.PKI) {
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	n := fantest.Start(t, cfg, nil)
	n.ClientTLS = pki.ClientConfig()
	return n, pki
}

// TestTLSMatrixOpenSSL: OpenSSL's s_client, with each TLS 1.3 suite
// alone, opens a Pusher WebSocket on the event loop, pings, then sends a
// KeyUpdate ("k", RFC 8446 section 4.6.3) and pings again under its new
// key, then one that requests ours ("K"): the pong that follows comes
// under the server's new key, so OpenSSL read both the server's KeyUpdate
// and the records behind it.
func TestTLSMatrixOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed (Debian package openssl; make deps-apt)")
	}
	n, pki := tlsNode(t)
	for _, suite := range tls13Suites {
		t.Run(suite, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", n.Addr(), "-tls1_3",
				"-ciphersuites", suite, "-CAfile", pki.CAFile, "-verify_return_error", "-servername", "127.0.0.1", "-msg")
			out := new(syncbuf.Buffer)
			cmd.Stdout, cmd.Stderr = out, out
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { stdin.Close(); _ = cmd.Wait() }()
			waitFor(t, out, suite+" handshake", "Cipher is "+suite, 1)
			send := func(b []byte) {
				if _, err := stdin.Write(b); err != nil {
					t.Fatal(err)
				}
			}
			send([]byte(upgradeRequest))
			waitFor(t, out, suite+" upgrade", "pusher:connection_established", 1)
			send(pingFrame())
			waitFor(t, out, suite+" ping", "pusher:pong", 1)
			send([]byte("k\n"))
			waitFor(t, out, suite+" k", "KEYUPDATE", 1)
			send(pingFrame())
			waitFor(t, out, suite+" ping after k", "pusher:pong", 2)
			// -msg prints each handshake message, "<<<" for one received.
			const received = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"
			if got := strings.Count(out.String(), received); got != 0 {
				t.Fatalf("%d KeyUpdates from the server before one was requested", got)
			}
			send([]byte("K\n"))
			waitFor(t, out, suite+" K", "KEYUPDATE", 2)
			send(pingFrame())
			waitFor(t, out, suite+" ping after K", "pusher:pong", 3)
			if got := strings.Count(out.String(), received); got != 1 {
				t.Fatalf("%d KeyUpdates from the server after K, want 1", got)
			}
		})
	}
}

// TestTLSMatrixCurl: curl publishes through the HTTP API over https with
// each TLS 1.3 suite (the session handed to net/http after the
// handshake, on the blocking side of the record layer), and a wss://
// subscriber gets each event.
func TestTLSMatrixCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (make deps-apt)")
	}
	n, pki := tlsNode(t)
	c, err := fantest.DialTLS(t, n.URL("app-key"), nil, n.ClientTLS)
	if err != nil {
		t.Fatal(err)
	}
	c.Expect("pusher:connection_established")
	c.Subscribe("matrix")
	app := n.Cfg.Apps[0]
	for _, suite := range tls13Suites {
		body := []byte(`{"name":"suite","channel":"matrix","data":"` + suite + `"}`)
		path := "/apps/" + app.ID + "/events"
		q := auth.SignRequest("POST", path, url.Values{}, body, app.Key, app.Secret, time.Now())
		cmd := exec.Command("curl", "-sS", "-v", "--max-time", "30", "--tlsv1.3", "--tls13-ciphers", suite,
			"--cacert", pki.CAFile, "-H", "Content-Type: application/json", "--data-binary", "@-",
			"-w", " %{http_code}", n.HTTPBase()+path+"?"+q.Encode())
		cmd.Stdin = bytes.NewReader(body)
		got, err := cmd.CombinedOutput()
		if err != nil || !strings.HasSuffix(string(got), " 200") || !strings.Contains(string(got), "SSL connection using TLSv1.3 / "+suite) {
			t.Fatalf("%s: curl %v: %s", suite, err, got)
		}
		if ev := c.Expect("suite"); ev.DataString() != suite {
			t.Fatalf("%s: subscriber got %q", suite, ev.DataString())
		}
	}
}

// TestTLSMatrixNode: Node's tls client with each TLS 1.3 suite alone
// opens a Pusher WebSocket, pings and gets its pong.
func TestTLSMatrixNode(t *testing.T) {
	needNode(t)
	n, pki := tlsNode(t)
	for _, suite := range tls13Suites {
		t.Run(suite, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			host, port, _ := strings.Cut(n.Addr(), ":")
			cmd := exec.CommandContext(ctx, "node", "-e", nodeTLSClient, host, port, pki.CAFile, suite)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.Stdin = bytes.NewReader(append([]byte(upgradeRequest), pingFrame()...))
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", suite, err, out.String())
			}
			if !strings.Contains(out.String(), "cipher "+suite) || !strings.Contains(out.String(), "pusher:pong") {
				t.Fatalf("%s: %s", suite, out.String())
			}
		})
	}
}

// nodeTLSClient connects with one TLS 1.3 suite, sends the upgrade on
// secureConnect and the ping once connection_established arrives, and
// exits 0 on the pong.
const nodeTLSClient = `
const tls = require('node:tls'), fs = require('node:fs');
const [host, port, ca, suite] = process.argv.slice(1);
const input = fs.readFileSync(0);
const upgrade = input.subarray(0, input.indexOf('\r\n\r\n') + 4), ping = input.subarray(upgrade.length);
const s = tls.connect({host, port: +port, ca: fs.readFileSync(ca), servername: host === '127.0.0.1' ? undefined : host,
  minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite}, () => {
  console.log('cipher ' + s.getCipher().standardName);
  s.write(upgrade);
});
let seen = '', pinged = false;
s.on('data', d => {
  seen += d.toString('latin1');
  if (!pinged && seen.includes('pusher:connection_established')) { pinged = true; s.write(ping); }
  if (seen.includes('pusher:pong')) { console.log('pusher:pong'); s.end(); process.exit(0); }
});
s.on('error', e => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('no pong: ' + JSON.stringify(seen)); process.exit(1); }, 20000);
`
