package interop

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// scriptTimeout bounds one client script; a hung client fails the test.
const scriptTimeout = 3 * time.Minute

// needNode fails the test unless node and the npm packages are installed.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: install Node.js (apt-get install nodejs npm), then run `make deps-node`")
	}
	for _, p := range []string{"pusher-js", "pusher", "ws"} {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			t.Fatalf("npm package %s missing in test/interop: run `make deps-node` (npm install in test/interop)", p)
		}
	}
}

// pythonWithWebsockets is Debian's python, the one python3-websockets
// installs into (the python3 on PATH may be another build).
const pythonWithWebsockets = "/usr/bin/python3"

func needPython(t *testing.T) {
	t.Helper()
	if err := exec.Command(pythonWithWebsockets, "-c", "import websockets").Run(); err != nil {
		t.Fatalf("%s cannot import websockets (%v): apt-get install python3-websockets", pythonWithWebsockets, err)
	}
}

// target is where a script connects.
type target struct {
	addr               string
	appID, key, secret string
	extra              []string // more environment for the script
}

func (tg target) env() []string {
	host, port, _ := net.SplitHostPort(tg.addr)
	return append(append(os.Environ(),
		"FANOUT_HOST="+host, "FANOUT_PORT="+port, "FANOUT_APP_ID="+tg.appID,
		"FANOUT_KEY="+tg.key, "FANOUT_SECRET="+tg.secret,
		"FANOUT_ECHO_URL=ws://"+tg.addr+"/echo"), tg.extra...)
}

// run runs a client program in this folder against tg and fails the test
// with the program's output unless it exits 0.
func run(t *testing.T, tg target, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = tg.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	if testing.Verbose() {
		t.Logf("%s %s:\n%s", name, strings.Join(args, " "), out.String())
	}
}

// inProcess starts an in-process node with the development app and the
// echo endpoint (64 MiB messages), as `make run` plus --echo would.
func inProcess(t *testing.T) target {
	t.Helper()
	cfg := fantest.Config()
	cfg.Server.Echo = true
	cfg.Server.MaxMessageSize = 64 << 20
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]
	return target{addr: n.Addr(), appID: app.ID, key: app.Key, secret: app.Secret}
}

func TestPusherJSAndSDK(t *testing.T) {
	needNode(t)
	run(t, inProcess(t), "node", "--test", "pusher.mjs")
}

// TestPusherJSAndSDKOverTLS runs the same suite against a node that
// terminates TLS itself: pusher-js with forceTLS over wss://, the pusher
// SDK with useTLS over https, both trusting the test CA through
// NODE_EXTRA_CA_CERTS and nothing else in front.
func TestPusherJSAndSDKOverTLS(t *testing.T) {
	needNode(t)
	pki := fantest.NewPKI(t)
	cfg := fantest.Config()
	cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]
	tg := target{addr: n.Addr(), appID: app.ID, key: app.Key, secret: app.Secret,
		extra: []string{"FANOUT_TLS=1", "NODE_EXTRA_CA_CERTS=" + pki.CAFile}}
	run(t, tg, "node", "--test", "pusher.mjs")
}

func TestWSEcho(t *testing.T) {
	needNode(t)
	run(t, inProcess(t), "node", "--test", "echo_ws.mjs")
}

func TestPythonWebsocketsEcho(t *testing.T) {
	needPython(t)
	run(t, inProcess(t), pythonWithWebsockets, "echo_client.py")
}

// permessage-deflate offers with a server window of 8 to 15 bits are
// accepted with that window, and compressed messages round-trip both ways.
func TestPythonWebsocketsSmallWindowDeflate(t *testing.T) {
	needPython(t)
	run(t, inProcess(t), pythonWithWebsockets, "echo_deflate.py")
}
