package interop

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// consolePassword is the console credential of these tests.
const consolePassword = "console-test-password"

// consoleShots is where the console tests put their screenshots: a
// temporary directory, or the folder CONSOLE_SCREENSHOTS names (docs/
// keeps one of each page for the README).
func consoleShots(t *testing.T) string {
	if d := os.Getenv("CONSOLE_SCREENSHOTS"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return t.TempDir()
}

func consoleConfig() config.Config {
	cfg := historyConfig()
	cfg.Console.Password = consolePassword
	return cfg
}

// consoleEnv is the environment of browser/console.mjs against node n.
func consoleEnv(t *testing.T, n *fantest.Node, consoleURL, mode string, extra ...string) target {
	app := n.Cfg.Apps[0]
	return target{addr: n.Addr(), appID: app.ID, key: app.Key, secret: app.Secret, extra: append([]string{
		"CONSOLE_URL=" + consoleURL, "CONSOLE_PASSWORD=" + consolePassword, "CONSOLE_MODE=" + mode,
		"SHOTS=" + consoleShots(t), "CHROMIUM=" + chromiumPath()}, extra...)}
}

// TestConsoleBrowser drives the web console in headless Chromium: refused
// without the credential, then logged in it counts real pusher-js clients
// as they connect, lists channels with presence members and history,
// tails a channel while the HTTP API publishes to it, publishes an event
// a pusher-js subscriber receives, terminates a user, shows the config
// masked; and a logged-in browser visiting another origin's page that
// posts to the console is refused (CWE-352), publishing nothing.
func TestConsoleBrowser(t *testing.T) {
	needNode(t)
	needAuthClients(t, true)
	n := fantest.Start(t, consoleConfig(), nil)
	consoleURL := "http://" + n.MetricsAddr() + "/console/"

	// The other origin (same site: 127.0.0.1 on another port, so the
	// SameSite=Strict cookie goes along and only the CSRF checks stand
	// in the way). The JSON body is sent as text/plain, which needs no
	// CORS preflight.
	evil, evilPort := listenLoopback(t)
	serveOn(t, evil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="POST" enctype="text/plain" action="%s">
<input type="hidden" name='{"channel":"csrf-target","name":"evil","data":"x","pad":"' value='"}'></form>
<script>document.getElementById('f').submit()</script>`, html.EscapeString(consoleURL+"api/apps/app-id/events"))
	}))
	tg := consoleEnv(t, n, consoleURL, "full", fmt.Sprintf("EVIL_URL=http://127.0.0.1:%d/", evilPort))
	run(t, tg, "node", "--test", "--test-force-exit", "browser/console.mjs")
}

// TestConsoleCluster: two nodes over a real redis-server; the console of
// the first shows both nodes and the connections of each.
func TestConsoleCluster(t *testing.T) {
	needNode(t)
	needAuthClients(t, true)
	url := startRedisServer(t)
	var nodes []*fantest.Node
	for range 2 {
		b, err := redis.New(redis.Options{URL: url, Prefix: "console", NodeTTL: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, fantest.Start(t, consoleConfig(), b))
	}
	_, port2, _ := net.SplitHostPort(nodes[1].Addr())
	tg := consoleEnv(t, nodes[0], "http://"+nodes[0].MetricsAddr()+"/console/", "cluster", "FANOUT_PORT2="+port2)
	run(t, tg, "node", "--test", "--test-force-exit", "browser/console.mjs")
}

// TestConsoleBehindNginx serves the console through the shipped
// deploy/nginx.conf (TLS, the /fanout-console/ prefix): Chromium logs in,
// gets a Secure cookie scoped to the prefix, sees a connection counted,
// publishes and tails through the proxy.
func TestConsoleBehindNginx(t *testing.T) {
	needNode(t)
	needAuthClients(t, true)
	nginx := daemonPath(t, "nginx")
	n := fantest.Start(t, consoleConfig(), nil)
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	addr := startNginx(t, nginx, dir, []string{n.Addr()}, pki, "127.0.0.1:9601", n.MetricsAddr())
	tg := consoleEnv(t, n, "https://"+addr+"/fanout-console/", "nginx", "SPKI_PINS="+spkiPin(t, pki.certFile))
	run(t, tg, "node", "--test", "--test-force-exit", "browser/console.mjs")
}

// spkiPin is the base64 SHA-256 of the public key of the first
// certificate in a PEM file, as Chromium's
// --ignore-certificate-errors-spki-list takes it.
func spkiPin(t *testing.T, certFile string) string {
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", certFile)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
