package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestVariablesExpandInValues(t *testing.T) {
	path := writeFile(t, `
server:
  max_connections: ${CFG_TEST_MAX}
  echo: ${CFG_TEST_ECHO:-true}
apps:
  - id: ${CFG_TEST_ID:-chat}
    key: chat-key
    secret: "${CFG_TEST_SECRET}"
    allowed_origins: ["https://${CFG_TEST_HOST}"]
    webhooks:
      url: https://hooks.example.com/$${literal}
  - id: other
    key: other-key
    secret: "${use a long random secret}"
`)
	env := []string{"CFG_TEST_MAX=250", "CFG_TEST_SECRET=from-the-environment-0123456789",
		"CFG_TEST_HOST=app.example.com", "CFG_TEST_ID="}
	c := mustLoad(t, path, env, nil)
	if c.Server.MaxConnections != 250 || !c.Server.Echo {
		t.Fatalf("typed values not expanded: max_connections %d echo %v", c.Server.MaxConnections, c.Server.Echo)
	}
	a := c.Apps[0]
	if a.ID != "chat" || a.Secret != "from-the-environment-0123456789" || a.AllowedOrigins[0] != "https://app.example.com" {
		t.Fatalf("app %+v", a)
	}
	if a.Webhooks.URL != "https://hooks.example.com/${literal}" {
		t.Fatalf("$${ should stay a literal ${: %q", a.Webhooks.URL)
	}
	// Not a variable name: kept as written, and warned about at start.
	if c.Apps[1].Secret != "${use a long random secret}" {
		t.Fatalf("placeholder rewritten: %q", c.Apps[1].Secret)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "apps[1].secret (app other) still holds a placeholder") {
		t.Fatalf("warnings %q", w)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	app, jwt, redis := write("app", "app-secret-from-a-file-0123\n"), write("jwt", "jwt-secret-from-a-file-0123"), write("redis", "p@ss:word\r\n")
	path := writeFile(t, `
redis:
  url: redis://user@127.0.0.1:6379/0
  password_file: `+redis+`
apps:
  - id: a
    key: ka
    secret_file: `+app+`
    auth: {jwt: {secret_file: `+jwt+`}}
`)
	c := mustLoad(t, path, nil, nil)
	if c.Apps[0].Secret != "app-secret-from-a-file-0123" || c.Apps[0].Auth.JWT.Secret != "jwt-secret-from-a-file-0123" {
		t.Fatalf("secrets %q %q", c.Apps[0].Secret, c.Apps[0].Auth.JWT.Secret)
	}
	if got := c.Redis.DialURL(); got != "redis://user:p%40ss%3Aword@127.0.0.1:6379/0" {
		t.Fatalf("DialURL %q", got)
	}
	out := string(c.Masked().YAML())
	for _, s := range []string{"app-secret-from-a-file", "jwt-secret-from-a-file", "p@ss", "p%40ss", "ss:word"} {
		if strings.Contains(out, s) {
			t.Fatalf("--print-config shows %q:\n%s", s, out)
		}
	}
	if len(c.Warnings()) != 0 {
		t.Fatalf("warnings for long secrets: %q", c.Warnings())
	}
	if err := os.WriteFile(app, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil, nil); err == nil || !strings.Contains(err.Error(), "apps[0].secret_file: "+app+" is empty") {
		t.Fatalf("empty secret file: %v", err)
	}
}

// The secret of a file's app can come from the environment or the
// command line: FANOUT_APP_<ID>_SECRET for any app, FANOUT_APP_SECRET and
// --app-secret when the file lists exactly one.
func TestSecretsFromEnvironmentWithAFile(t *testing.T) {
	one := writeFile(t, "apps:\n  - {id: chat-eu, key: k, secret: in-the-file}\n")
	if c := mustLoad(t, one, []string{"FANOUT_APP_SECRET=from-FANOUT_APP_SECRET"}, nil); c.Apps[0].Secret != "from-FANOUT_APP_SECRET" {
		t.Fatalf("FANOUT_APP_SECRET: %q", c.Apps[0].Secret)
	}
	c := mustLoad(t, one, []string{"FANOUT_APP_SECRET=x", "FANOUT_APP_CHAT_EU_SECRET=per-app"}, nil)
	if c.Apps[0].Secret != "per-app" {
		t.Fatalf("FANOUT_APP_CHAT_EU_SECRET should win over FANOUT_APP_SECRET: %q", c.Apps[0].Secret)
	}
	if c := mustLoad(t, one, []string{"FANOUT_APP_CHAT_EU_SECRET=per-app"}, []string{"--app-secret", "flag"}); c.Apps[0].Secret != "flag" {
		t.Fatalf("--app-secret should win: %q", c.Apps[0].Secret)
	}
	two := writeFile(t, goodApps)
	c = mustLoad(t, two, []string{"FANOUT_APP_B_SECRET=b-from-env"}, nil)
	if c.Apps[0].Secret != "sa" || c.Apps[1].Secret != "b-from-env" {
		t.Fatalf("apps %q %q", c.Apps[0].Secret, c.Apps[1].Secret)
	}
	if got := AppSecretVariable("chat-eu.v2"); got != "FANOUT_APP_CHAT_EU_V2_SECRET" {
		t.Fatal(got)
	}
}

// Public bug case centrifugal/centrifugo#269: a Service named after the
// server makes Kubernetes inject <NAME>_PORT and friends into every pod;
// a node that refuses unknown variables crash-loops. These shapes are
// ignored (and reported), a misspelt setting still is not.
func TestKubernetesServiceVariablesCentrifugo269(t *testing.T) {
	kube := []string{
		"FANOUT_PORT=tcp://10.96.0.11:6001",
		"FANOUT_SERVICE_HOST=10.96.0.11",
		"FANOUT_SERVICE_PORT=6001",
		"FANOUT_SERVICE_PORT_WS=6001",
		"FANOUT_PORT_6001_TCP=tcp://10.96.0.11:6001",
		"FANOUT_PORT_6001_TCP_ADDR=10.96.0.11",
		"FANOUT_PORT_6001_TCP_PORT=6001",
		"FANOUT_PORT_6001_TCP_PROTO=tcp",
		"FANOUT_NAME=/web/fanout", // Docker legacy links
		"FANOUT_ENV_GOMAXPROCS=2",
		"FANOUT_ADDR=127.0.0.1:7001",
	}
	c := mustLoad(t, "", kube, nil)
	want := []string{"FANOUT_ENV_GOMAXPROCS", "FANOUT_NAME", "FANOUT_PORT", "FANOUT_PORT_6001_TCP", "FANOUT_PORT_6001_TCP_ADDR",
		"FANOUT_PORT_6001_TCP_PORT", "FANOUT_PORT_6001_TCP_PROTO", "FANOUT_SERVICE_HOST", "FANOUT_SERVICE_PORT", "FANOUT_SERVICE_PORT_WS"}
	if !reflect.DeepEqual(c.IgnoredVariables, want) || c.Server.Addr != "127.0.0.1:7001" {
		t.Fatalf("ignored %q, addr %s", c.IgnoredVariables, c.Server.Addr)
	}
	_, err := Load("", append(kube, "FANOUT_ADRR=127.0.0.1:1"), nil)
	if err == nil || err.Error() != "config: FANOUT_ADRR: names no setting (did you mean FANOUT_ADDR?); see fanout serve --help" {
		t.Fatalf("typo next to Kubernetes variables: %v", err)
	}
}

func TestShortSecretWarns(t *testing.T) {
	path := writeFile(t, "apps:\n  - {id: a, key: ka, secret: s}\n  - {id: b, key: kb, secret: '<your secret>'}\n  - {id: c, key: kc, secret: 0123456789abcdef, enabled: false}\n")
	w := mustLoad(t, path, nil, nil).Warnings()
	if len(w) != 2 || !strings.Contains(w[0], "apps[0].secret (app a) is 1 bytes, shorter than 16") || !strings.Contains(w[1], "apps[1].secret (app b) still holds a placeholder") {
		t.Fatalf("warnings %q", w)
	}
}

func TestSecretGrace(t *testing.T) {
	if c := mustLoad(t, "", nil, nil); c.Reload.SecretGrace != 5*time.Minute {
		t.Fatalf("default grace %s", c.Reload.SecretGrace)
	}
	if c := mustLoad(t, writeFile(t, "reload: {secret_grace: 30s}\n"), nil, nil); c.Reload.SecretGrace != 30*time.Second {
		t.Fatalf("grace %s", c.Reload.SecretGrace)
	}
	if _, err := Load(writeFile(t, "reload: {secret_grace: -1s}\n"), nil, nil); err == nil || !strings.Contains(err.Error(), "reload.secret_grace") {
		t.Fatalf("negative grace: %v", err)
	}
}

// A FANOUT_ variable that the file references as ${NAME} is not refused
// as a misspelt setting.
func TestReferencedFanoutVariableIsKnown(t *testing.T) {
	path := writeFile(t, "apps:\n  - {id: a, key: ka, secret: '${FANOUT_CHAT_SECRET}'}\n")
	c := mustLoad(t, path, []string{"FANOUT_CHAT_SECRET=chat-secret-0123456789abcdef"}, nil)
	if c.Apps[0].Secret != "chat-secret-0123456789abcdef" {
		t.Fatalf("secret %q", c.Apps[0].Secret)
	}
	if w := (Config{Apps: []App{{ID: "x", Enabled: true, Secret: "change-me-to-a-long-random-string"}}}).Warnings(); len(w) != 1 {
		t.Fatalf("the example's placeholder is not warned about: %q", w)
	}
}
