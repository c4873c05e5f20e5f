package interop

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/internal/ledger"
)

// TestLaravelDocSnippets runs the snippets of docs/laravel.md marked
// `<!-- tested: NAME -->` as they are written: the fanout YAML is the
// node's config, the .env block feeds Echo's import.meta.env (its
// VITE_ variables, interpolated as Vite does), and the Echo module runs
// with the real laravel-echo and pusher-js. Only the host, the port and
// the backend's URL (Laravel's /broadcasting routes, served here) are
// put in for the test's own; the script fails if a pattern it replaces
// is gone, so a changed page needs a changed test.
func TestLaravelDocSnippets(t *testing.T) {
	needAuthClients(t, false)
	doc := laravelDoc(t)
	t.Run("local, required, signin", func(t *testing.T) {
		runLaravelDoc(t, doc, laravelCase{yaml: "fanout-yaml", env: "env-local", echo: "echo-local", signin: true})
	})
	t.Run("local, optional, no signin", func(t *testing.T) {
		runLaravelDoc(t, doc, laravelCase{yaml: "fanout-yaml-optional", env: "env-local", echo: "echo-local"})
	})
	t.Run("production, TLS, required, signin", func(t *testing.T) {
		runLaravelDoc(t, doc, laravelCase{yaml: "fanout-yaml", env: "env-production", echo: "echo-production", signin: true, tls: true})
	})
}

// laravelCase names the blocks one run uses.
type laravelCase struct {
	yaml, env, echo string
	signin, tls     bool
}

// testedBlock matches a marked fenced block: its name and its body.
var testedBlock = regexp.MustCompile("(?s)<!-- tested: ([a-z-]+) -->\n```[a-z]*\n(.*?)```")

// laravelDoc reads the marked blocks of docs/laravel.md by name.
func laravelDoc(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "laravel.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range testedBlock.FindAllStringSubmatch(string(b), -1) {
		blocks[m[1]] = m[2]
	}
	for _, name := range []string{"fanout-yaml", "fanout-yaml-optional", "env-local", "env-production",
		"echo-local", "echo-production", "echo-signin"} {
		if blocks[name] == "" {
			t.Fatalf("docs/laravel.md has no block marked <!-- tested: %s -->: update this test", name)
		}
	}
	return blocks
}

func runLaravelDoc(t *testing.T, doc map[string]string, lc laravelCase) {
	file := filepath.Join(t.TempDir(), "fanout.yaml")
	writeFile(t, file, doc[lc.yaml])
	cfg, err := config.Load(file, nil, nil)
	if err != nil {
		t.Fatalf("the page's fanout.yaml: %v", err)
	}
	cfg.Server.Addr, cfg.Server.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0"
	var extra []string
	var pki *fantest.PKI
	host := "127.0.0.1"
	if lc.tls {
		pki = fantest.NewPKI(t)
		cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
		extra = append(extra, "NODE_EXTRA_CA_CERTS="+pki.CAFile)
		host = "localhost" // the name the test certificate carries
	}
	n := fantest.Start(t, cfg, nil)
	if pki != nil {
		n.ClientTLS = pki.ClientConfig()
	}
	app := cfg.Apps[0]
	_, port, _ := net.SplitHostPort(n.Addr())
	env := dotenv(t, doc[lc.env], map[string]string{"PUSHER_HOST": host, "PUSHER_PORT": port})
	for k, want := range map[string]string{"PUSHER_APP_ID": app.ID, "PUSHER_APP_KEY": app.Key, "PUSHER_APP_SECRET": app.Secret} {
		if env[k] != want {
			t.Fatalf("%s: %s=%q, but the page's fanout.yaml says %q", lc.env, k, env[k], want)
		}
	}
	base := authEndpoints(t, app, userAuthDelay)
	script := echoModule(t, doc, lc, env, base)

	l := ledger.New()
	c := startScript(t, l, false, script, extra)
	c.await(30*time.Second, "both channels subscribed", func() bool {
		return c.subscribedOn(1, signinChannels...) && (!lc.signin || c.signins >= 1)
	})
	pub := ledgerPublisher{l: l, app: app, base: n.HTTPBase(), client: n.HTTPClient()}
	const events = 5
	for range events {
		pub.round(t, signinChannels)
	}
	c.await(30*time.Second, "every event received", func() bool { return c.received(events, signinChannels...) })
	checkLedger(t, l, events*len(signinChannels))
}

// dotenv reads KEY=VALUE lines (values optionally double-quoted, ${KEY}
// interpolated from earlier lines), with set overriding the page's
// values before interpolation; a key of set the page lacks fails.
func dotenv(t *testing.T, text string, set map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env line %q has no =", line)
		}
		v = strings.Trim(v, `"`)
		if s, ok := set[k]; ok {
			v = s
		}
		env[k] = os.Expand(v, func(name string) string { return env[name] })
	}
	for k := range set {
		if _, ok := env[k]; !ok {
			t.Fatalf("the page's .env has no %s: update this test", k)
		}
	}
	return env
}

// echoModule writes the page's Echo module, with import.meta.env bound to
// the .env's VITE_ variables and the backend's routes made absolute, and
// after it the sign-in block (if used) and the test's report, into this
// folder (where node_modules is); it returns the file's name.
func echoModule(t *testing.T, doc map[string]string, lc laravelCase, env map[string]string, base string) string {
	t.Helper()
	vite := map[string]string{}
	for k, v := range env {
		if strings.HasPrefix(k, "VITE_") {
			vite[k] = v
		}
	}
	viteJSON, _ := json.Marshal(vite)
	echo := substitute(t, "docs/laravel.md "+lc.echo, doc[lc.echo],
		"import.meta.env", "viteEnv",
		"'/broadcasting/", "'"+base+"/broadcasting/")
	channels, _ := json.Marshal(signinChannels)
	var src strings.Builder
	src.WriteString("// Written by laravel_docs_test.go from docs/laravel.md; removed after the test.\n")
	src.WriteString("import { drive } from './signin.mjs';\n")
	src.WriteString("globalThis.window = globalThis;\n")
	src.WriteString("const viteEnv = " + string(viteJSON) + ";\n")
	src.WriteString(echo)
	src.WriteString("drive({ echo: window.Echo, channels: " + string(channels) + " });\n")
	if lc.signin {
		src.WriteString(doc["echo-signin"])
	}
	name := ".laravel-doc-" + strings.ReplaceAll(t.Name(), "/", "-") + ".mjs"
	name = regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(name, "_")
	writeFile(t, name, src.String())
	t.Cleanup(func() { os.Remove(name) })
	return name
}
