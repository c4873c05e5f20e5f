package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/syncbuf"
)

// proxyDrain is the nodes' shutdown.drain: long enough that the drained
// node is still closing its sockets (and answering new upgrades with 503)
// while the script opens its new connections on a loaded machine. It
// costs no test time: the cleanup's second SIGTERM ends the drain.
const proxyDrain = 20 * time.Second

// TestProxies starts Debian's nginx and HAProxy with the shipped
// deploy/nginx.conf and deploy/haproxy.cfg (only addresses, ports and
// certificate paths substituted) in front of two `fanout serve` processes
// sharing a Redis, terminating TLS with a certificate made here. proxy.mjs
// drives them with pusher-js (forceTLS, trusting the test CA through
// NODE_EXTRA_CA_CERTS) and the pusher SDK over https, then drains one node
// with SIGTERM and opens new connections through both proxies, every one of
// which must succeed at its first attempt.
func TestProxies(t *testing.T) {
	needNode(t)
	nginx, haproxy := daemonPath(t, "nginx"), daemonPath(t, "haproxy")
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found: apt-get install redis-server (`make deps-apt` does)")
	}
	dir := t.TempDir()
	bin := buildFanout(t)
	redisURL := startRedisServer(t)
	cfg := filepath.Join(dir, "fanout.yaml")
	writeFile(t, cfg, fmt.Sprintf(proxyNodesConfig, proxyDrain))
	var nodes []*serveProcess
	for range 2 {
		nodes = append(nodes, startServe(t, bin, "--config", cfg, "--redis-url", redisURL))
	}
	for _, n := range nodes {
		n.waitStatus(t, "/readyz", http.StatusOK)
	}
	upstreams := []string{nodes[0].addr, nodes[1].addr}
	pki := newTestPKI(t, dir)

	nginxAddr := startNginx(t, nginx, dir, upstreams, pki)
	haproxyAddr := startHAProxy(t, haproxy, dir, upstreams, pki)

	tg := target{addr: nginxAddr, appID: "app-id", key: "app-key", secret: "app-secret", extra: []string{
		"NODE_EXTRA_CA_CERTS=" + pki.caFile,
		"FANOUT_PROXIES=nginx=" + nginxAddr + ",haproxy=" + haproxyAddr,
		"FANOUT_DRAIN_PID=" + strconv.Itoa(nodes[0].cmd.Process.Pid),
		"FANOUT_DRAIN_ADDR=" + nodes[0].addr,
	}}
	run(t, tg, "node", "--test", "proxy.mjs")
}

// daemonPath finds a proxy binary on PATH or in /usr/sbin (not on a
// normal user's PATH), skipping the test with the package to install when
// it is absent.
func daemonPath(t *testing.T, name string) string {
	t.Helper()
	for _, p := range []string{name, "/usr/sbin/" + name} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skipf("%s not installed: apt-get install %s (`make deps-apt` does)", name, name)
	return ""
}

// proxyNodesConfig is the nodes' app and drain window (a Go duration).
const proxyNodesConfig = `apps:
  - id: app-id
    key: app-key
    secret: app-secret
    auth: {mode: optional}
shutdown:
  drain: %v
`

// substitute applies each old→new replacement to the shipped file text,
// failing the test when a pattern is not found: the test must keep
// exercising the file as shipped, so a changed file needs a changed test.
func substitute(t *testing.T, name, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("%s no longer contains %q: update the substitutions of this test", name, pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// serverRuns matches each run of example upstream server lines in the
// shipped files.
var serverRuns = regexp.MustCompile(`(?m)(?:^[ \t]*server[ \t]+(?:\S+[ \t]+)?10\.0\.0\.1\d:6001.*\n)+`)

// exampleServer splits one example server line around its address.
var exampleServer = regexp.MustCompile(`^([ \t]*server[ \t]+(?:\S+[ \t]+)?)10\.0\.0\.1\d:6001(.*\n)`)

// withUpstreams replaces each run of the shipped example servers by one
// line per upstream address, each with the options of the run's first
// line (HAProxy's server names numbered n1, n2, ...).
func withUpstreams(t *testing.T, name, text string, upstreams []string) string {
	t.Helper()
	if !serverRuns.MatchString(text) {
		t.Fatalf("%s has no `server 10.0.0.1x:6001` lines: update this test", name)
	}
	return serverRuns.ReplaceAllStringFunc(text, func(run string) string {
		first := exampleServer.FindStringSubmatch(run)
		var lines strings.Builder
		for i, u := range upstreams {
			lines.WriteString(strings.Replace(first[1], " n1 ", " n"+strconv.Itoa(i+1)+" ", 1) + u + first[2])
		}
		return lines.String()
	})
}

// startNginx runs nginx in the foreground with deploy/nginx.conf included
// in a minimal main configuration whose files all live in dir; subs are
// more old→new replacements in the shipped file.
func startNginx(t *testing.T, bin, dir string, upstreams []string, pki testPKI, subs ...string) string {
	t.Helper()
	addr := freeAddr(t)
	shipped := readShipped(t, "nginx.conf")
	site := withUpstreams(t, "deploy/nginx.conf", shipped, upstreams)
	site = substitute(t, "deploy/nginx.conf", site,
		"listen 443 ssl;", "listen "+addr+" ssl;",
		"/etc/ssl/ws.example.com.pem", pki.certFile,
		"/etc/ssl/ws.example.com.key", pki.keyFile,
		"allow 10.0.0.0/8;", "allow 127.0.0.0/8;")
	site = substitute(t, "deploy/nginx.conf", site, subs...)
	writeFile(t, filepath.Join(dir, "fanout-nginx.conf"), site)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers read nothing outside dir, which is root's
	}
	main := fmt.Sprintf(`%[2]s
daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log %[1]s/nginx-access.log;
    client_body_temp_path %[1]s/nginx-body;
    proxy_temp_path %[1]s/nginx-proxy;
    fastcgi_temp_path %[1]s/nginx-fastcgi;
    uwsgi_temp_path %[1]s/nginx-uwsgi;
    scgi_temp_path %[1]s/nginx-scgi;
    include %[1]s/fanout-nginx.conf;
}
`, dir, user)
	conf := filepath.Join(dir, "nginx-main.conf")
	writeFile(t, conf, main)
	startProxy(t, "nginx", exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "nginx-error.log"), "-c", conf), addr, pki)
	return addr
}

// startHAProxy runs HAProxy in the foreground with deploy/haproxy.cfg.
func startHAProxy(t *testing.T, bin, dir string, upstreams []string, pki testPKI) string {
	t.Helper()
	addr := freeAddr(t)
	cfg := withUpstreams(t, "deploy/haproxy.cfg", readShipped(t, "haproxy.cfg"), upstreams)
	cfg = substitute(t, "deploy/haproxy.cfg", cfg,
		"bind :443 ", "bind "+addr+" ",
		"/etc/haproxy/ws.example.com.pem", pki.bundleFile,
		"src 10.0.0.0/8", "src 127.0.0.0/8")
	file := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, file, cfg)
	startProxy(t, "haproxy", exec.Command(bin, "-db", "-f", file), addr, pki)
	return addr
}

// readShipped reads a file of deploy/.
func readShipped(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startProxy starts a proxy in the foreground, waits until it serves the
// nodes' /readyz on addr, stops it when the test ends and prints its
// output if the test failed.
func startProxy(t *testing.T, name string, cmd *exec.Cmd, addr string, pki testPKI) {
	t.Helper()
	log := new(syncbuf.Buffer)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, log.String())
		}
	})
	waitHTTPS(t, pki, "https://"+addr+"/readyz", exited)
}

// waitHTTPS polls url through TLS (trusting the test CA) until it answers
// 200, failing when the proxy exits or after a bound.
func waitHTTPS(t *testing.T, pki testPKI, url string, exited <-chan struct{}) {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("the proxy in front of %s exited at start", url)
		default:
		}
		resp, err := c.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
		last = resp.Status
	}
	t.Fatalf("%s never answered 200 (last: %s)", url, last)
}

// testPKI is a self-signed CA and a leaf for 127.0.0.1 and localhost, as
// PEM files: the leaf with its key in two files (nginx) and in one
// (HAProxy).
type testPKI struct {
	caFile, certFile, keyFile, bundleFile string
	pool                                  *x509.CertPool
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fanout test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	p := testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "ws.pem"),
		keyFile: filepath.Join(dir, "ws.key"), bundleFile: filepath.Join(dir, "ws-bundle.pem"), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	writeFile(t, p.caFile, string(caPEM))
	writeFile(t, p.certFile, string(certPEM))
	writeFile(t, p.keyFile, string(keyPEM))
	writeFile(t, p.bundleFile, string(certPEM)+string(keyPEM))
	return p
}
