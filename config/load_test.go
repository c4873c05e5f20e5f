package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// writeFile writes a config file in a temp dir and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fanout.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, path string, env, args []string) Config {
	t.Helper()
	c, err := Load(path, env, args)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestNoInputIsDefault(t *testing.T) {
	c := mustLoad(t, "", nil, nil)
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("Load with nothing differs from Default:\n%s\nvs\n%s", c.YAML(), Default().YAML())
	}
	a := c.Apps[0]
	if a.ID != "app-id" || a.Key != "app-key" || a.Secret != "app-secret" || a.Auth.Mode != AuthOptional {
		t.Fatalf("built-in app %+v", a)
	}
	if c.Server.Addr != "127.0.0.1:6001" || c.Server.MetricsAddr != "127.0.0.1:9601" || c.Heartbeat.ActivityTimeout != 120*time.Second {
		t.Fatalf("server defaults %+v %+v", c.Server, c.Heartbeat)
	}
	if !c.UsesDevCredentials() {
		t.Fatal("default config does not report development credentials")
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	path := writeFile(t, `
server:
  addr: 127.0.0.1:7001
  log_level: debug
  max_message_size: 1000
  echo: true
heartbeat:
  activity_timeout: 60s
  pong_timeout: 5s
redis:
  url: redis://127.0.0.1:1/0
`)
	env := []string{
		"FANOUT_ADDR=127.0.0.1:7002",
		"FANOUT_MAX_MESSAGE_SIZE=2000",
		"FANOUT_PONG_TIMEOUT=6s",
		"FANOUT_REDIS_URL=redis://127.0.0.1:2/0",
		"FANOUT_ECHO=false",
		"PATH=/bin",
	}
	args := []string{"--config", path, "--addr", "127.0.0.1:7003", "--redis-url=redis://127.0.0.1:3/0", "--echo"}
	c := mustLoad(t, "", env, args)
	checks := []struct {
		key       string
		got, want any
	}{
		{"server.addr (flag over env over file)", c.Server.Addr, "127.0.0.1:7003"},
		{"redis.url (flag over env over file)", c.Redis.URL, "redis://127.0.0.1:3/0"},
		{"server.echo (flag over env over file)", c.Server.Echo, true},
		{"server.max_message_size (env over file)", c.Server.MaxMessageSize, 2000},
		{"heartbeat.pong_timeout (env over file)", c.Heartbeat.PongTimeout, 6 * time.Second},
		{"server.log_level (file over default)", c.Server.LogLevel, "debug"},
		{"heartbeat.activity_timeout (file over default)", c.Heartbeat.ActivityTimeout, 60 * time.Second},
		{"server.metrics_addr (default)", c.Server.MetricsAddr, "127.0.0.1:9601"},
		{"file", c.File, path},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
	// Without the flags, env wins over the file.
	c = mustLoad(t, path, env, nil)
	if c.Server.Addr != "127.0.0.1:7002" || c.Server.Echo {
		t.Errorf("env over file: addr %s echo %v", c.Server.Addr, c.Server.Echo)
	}
}

func TestConfigPathSources(t *testing.T) {
	a := writeFile(t, "server: {addr: 127.0.0.1:1}\n")
	b := writeFile(t, "server: {addr: 127.0.0.1:2}\n")
	if c := mustLoad(t, "", []string{"FANOUT_CONFIG=" + a}, nil); c.Server.Addr != "127.0.0.1:1" {
		t.Errorf("FANOUT_CONFIG ignored: %s", c.Server.Addr)
	}
	if c := mustLoad(t, a, []string{"FANOUT_CONFIG=" + b}, nil); c.Server.Addr != "127.0.0.1:2" {
		t.Errorf("FANOUT_CONFIG does not override the path argument: %s", c.Server.Addr)
	}
	if c := mustLoad(t, "", []string{"FANOUT_CONFIG=" + a}, []string{"--config", b}); c.Server.Addr != "127.0.0.1:2" {
		t.Errorf("--config does not override FANOUT_CONFIG: %s", c.Server.Addr)
	}
}

func TestFileAppsStartFromDefaults(t *testing.T) {
	path := writeFile(t, `
apps:
  - id: one
    key: key-one
    secret: s1
  - id: two
    key: key-two
    secret: s2
    enabled: false
    max_channels_per_connection: 5
    auth: {mode: off}
    webhooks: {events: [member_added]}
`)
	c := mustLoad(t, path, nil, nil)
	if len(c.Apps) != 2 {
		t.Fatalf("%d apps", len(c.Apps))
	}
	one := DefaultApp()
	one.ID, one.Key, one.Secret = "one", "key-one", "s1"
	if !reflect.DeepEqual(c.Apps[0], one) {
		t.Errorf("apps[0] = %+v\nwant %+v", c.Apps[0], one)
	}
	two := c.Apps[1]
	if two.Enabled || two.MaxChannelsPerConnection != 5 || two.Auth.Mode != AuthOff ||
		two.Auth.SigninTimeout != 30*time.Second || !reflect.DeepEqual(two.Webhooks.Events, []string{"member_added"}) ||
		two.Webhooks.BatchMax != 50 {
		t.Errorf("apps[1] = %+v", two)
	}
	if c.UsesDevCredentials() {
		t.Error("file apps reported as development credentials")
	}
}

func TestSingleAppFromFlags(t *testing.T) {
	path := writeFile(t, "server: {log_level: warn}\n")
	c := mustLoad(t, path, []string{"FANOUT_APP_SECRET=from-env"},
		[]string{"--app-id", "a", "--app-key", "k", "--auth-mode", "required"})
	want := devApp()
	want.ID, want.Key, want.Secret, want.Auth.Mode = "a", "k", "from-env", AuthRequired
	if len(c.Apps) != 1 || !reflect.DeepEqual(c.Apps[0], want) {
		t.Fatalf("apps %+v", c.Apps)
	}
	if c.UsesDevCredentials() {
		t.Error("custom secret reported as development credentials")
	}
}

func TestPrintConfigAndHelp(t *testing.T) {
	if c := mustLoad(t, "", nil, []string{"--print-config"}); !c.PrintConfig {
		t.Error("--print-config not reported")
	}
	if _, err := Load("", nil, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load("../fanout.example.yaml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The example documents the defaults: apart from its app's
	// credentials, it must say exactly what Default and DefaultApp say.
	want := Default()
	want.File = "../fanout.example.yaml"
	want.Apps = []App{DefaultApp()}
	want.Apps[0].ID, want.Apps[0].Key, want.Apps[0].Secret = "my-app", "my-app-key", "change-me-to-a-long-random-string"
	want.Apps[0].Auth.JWT.Algorithms = []string{}
	want.Apps[0].History = []History{}
	want.Redis.Sentinel.Addrs = []string{}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("example file differs from the defaults:\n%s\nwant\n%s", c.YAML(), want.YAML())
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	in := Default()
	in.Apps[0].AllowedOrigins = []string{"https://a.example", "*.example.com"}
	in.Heartbeat.PongTimeout = 1500 * time.Millisecond
	path := writeFile(t, string(in.YAML()))
	out := mustLoad(t, path, nil, nil)
	in.File = path
	in.Apps[0].Auth.JWT.Algorithms = []string{}
	in.Apps[0].History = []History{}
	in.Redis.Sentinel.Addrs = []string{}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the config:\n%s\nvs\n%s", in.YAML(), out.YAML())
	}
}

func TestListenAddressForms(t *testing.T) {
	for _, a := range []string{"127.0.0.1:6001", ":6001", "[::1]:0", "localhost:6001", "0.0.0.0:http", "node-1.example.com:443"} {
		if _, err := Load("", nil, []string{"--addr", a, "--metrics-addr", a}); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	if c := mustLoad(t, "", nil, []string{"--metrics-addr", ""}); c.Server.MetricsAddr != "" {
		t.Errorf("empty metrics address (disabled) not kept: %q", c.Server.MetricsAddr)
	}
}

// The variables the project's own tools and tests read are not settings
// but must not stop a node either.
func TestToolVariablesAreAllowed(t *testing.T) {
	env := []string{"FANOUT_BENCH_WORKER=1", "FANOUT_HEAPPROFILE=/tmp/x", "FANOUT_IDLE_CLIENTS=x", "OTHER_ADRR=1"}
	if _, err := Load("", env, nil); err != nil {
		t.Fatal(err)
	}
}
