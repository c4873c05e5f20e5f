package config

import (
	"errors"
	"strings"
	"testing"
)

const goodApps = `
apps:
  - {id: a, key: ka, secret: sa}
  - {id: b, key: kb, secret: sb}
`

func TestBadConfigNamesKey(t *testing.T) {
	cases := []struct {
		name string
		file string // "" for no file; "MISSING" for an unreadable path
		env  []string
		args []string
		want string // the whole Error()
	}{
		{name: "unknown top key", file: "serverr: {}\n",
			want: `config: serverr: unknown key`},
		{name: "unknown nested key", file: "server:\n  addr: x:1\n  bogus: 1\n",
			want: `config: server.bogus: unknown key`},
		{name: "unknown app key", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    auth:\n      mod: off\n",
			want: `config: apps[0].auth.mod: unknown key`},
		{name: "duplicate key", file: "server:\n  addr: x:1\n  addr: x:2\n",
			want: `config: server.addr: given twice (first at line 2)`},
		{name: "bad int", file: "server:\n  max_message_size: big\n",
			want: `config: server.max_message_size: "big" is not an integer`},
		{name: "bad duration", file: "heartbeat:\n  pong_timeout: 3x\n",
			want: `config: heartbeat.pong_timeout: "3x" is not a duration such as 30s or 1m30s`},
		{name: "int duration", file: "heartbeat:\n  pong_timeout: 30\n",
			want: `config: heartbeat.pong_timeout: "30" is not a duration such as 30s or 1m30s`},
		{name: "bad bool in app", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    deflate: maybe\n",
			want: `config: apps[0].deflate: "maybe" is not true or false`},
		{name: "list for mapping", file: "server:\n  - a\n",
			want: `config: server: a list is not a mapping of keys`},
		{name: "scalar for list", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    allowed_origins: https://x\n",
			want: `config: apps[0].allowed_origins: "https://x" is not a list`},
		{name: "origin with a space", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    allowed_origins: ['https://ok.example', 'foo bar']\n",
			want: `config: apps[0].allowed_origins[1]: "foo bar" is not an origin: want "https://host[:port]", "https://*.domain" or "*.domain"`},
		{name: "origin with a star inside", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    allowed_origins: ['https://ex*ample.com']\n",
			want: `config: apps[0].allowed_origins[0]: "https://ex*ample.com" is not an origin: want "https://host[:port]", "https://*.domain" or "*.domain"`},
		{name: "mapping for string", file: "server:\n  addr:\n    host: x\n",
			want: `config: server.addr: a mapping is not a string`},
		{name: "bad yaml", file: "server: [\n",
			want: `config: FILE: invalid YAML: line 1: did not find expected node content`},
		{name: "unreadable file", file: "MISSING",
			want: `config: --config: open MISSING: no such file or directory`},
		{name: "bad auth mode", file: goodApps + "  - id: c\n    key: kc\n    secret: sc\n    auth: {mode: maybe}\n",
			want: `config: apps[2].auth.mode: "maybe" is not one of required, optional, off`},
		{name: "duplicate id", file: goodApps + "  - {id: a, key: kc, secret: sc}\n",
			want: `config: apps[2].id: "a" is already the id of apps[0]`},
		{name: "duplicate key", file: goodApps + "  - {id: c, key: kb, secret: sc}\n",
			want: `config: apps[2].key: "kb" is already the key of apps[1]`},
		{name: "history size zero", file: "apps:\n  - {id: a, key: k, secret: s, history: [{channels: 'orders-*', size: 0, ttl: 300s}]}\n",
			want: `config: apps[0].history[0].size: 0 must be between 1 and 100000`},
		{name: "history bad pattern", file: "apps:\n  - {id: a, key: k, secret: s, history: [{channels: 'orders/*', size: 10, ttl: 300s}]}\n",
			want: `config: apps[0].history[0].channels: "orders/*" is not a channel name pattern (letters, digits, -_=@,.; and *)`},
		{name: "history short ttl", file: "apps:\n  - {id: a, key: k, secret: s, history: [{channels: 'a', size: 10, ttl: 10ms}]}\n",
			want: `config: apps[0].history[0].ttl: 10ms must be at least 1s`},
		{name: "history unknown key", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    history:\n      - {channels: a, size: 1, ttl: 1s, max: 3}\n",
			want: `config: apps[0].history[0].max: unknown key`},
		{name: "empty secret", file: "apps:\n  - {id: a, key: k, secret: \"\"}\n",
			want: `config: apps[0].secret: must not be empty`},
		{name: "missing secret", file: "apps:\n  - {id: a, key: k}\n",
			want: `config: apps[0].secret: must not be empty`},
		{name: "negative app limit", file: "apps:\n  - {id: a, key: k, secret: s, max_connections: -1}\n",
			want: `config: apps[0].max_connections: -1 must not be negative (0 means unlimited or automatic)`},
		{name: "zero channels", file: "apps:\n  - {id: a, key: k, secret: s, max_channels_per_connection: 0}\n",
			want: `config: apps[0].max_channels_per_connection: 0 must be greater than 0`},
		{name: "negative server limit", file: "server: {max_connections: -5}\n",
			want: `config: server.max_connections: -5 must not be negative (0 means unlimited or automatic)`},
		{name: "bad webhook event", file: "apps:\n  - id: a\n    key: k\n    secret: s\n    webhooks: {url: 'http://127.0.0.1:1/h', events: [channel_occupied, nope]}\n",
			want: `config: apps[0].webhooks.events[1]: "nope" is not one of channel_occupied, channel_vacated, member_added, member_removed, client_event, cache_miss, subscription_count`},
		{name: "bad webhook url", file: "apps:\n  - {id: a, key: k, secret: s, webhooks: {url: 'ftp://x'}}\n",
			want: `config: apps[0].webhooks.url: "ftp://x" is not an http:// or https:// URL`},
		{name: "bad jwt alg", file: "apps:\n  - {id: a, key: k, secret: s, auth: {jwt: {algorithms: [HS256, none]}}}\n",
			want: `config: apps[0].auth.jwt.algorithms[1]: "none" is not one of HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, EdDSA`},
		{name: "key with slash", file: "apps:\n  - {id: a, key: 'k/1', secret: s}\n",
			want: `config: apps[0].key: "k/1" must not contain / ? # % or spaces`},
		{name: "bad log level", args: []string{"--log-level", "loud"},
			want: `config: server.log_level: "loud" is not one of debug, info, warn, error`},
		{name: "bad log format env", env: []string{"FANOUT_LOG_FORMAT=xml"},
			want: `config: server.log_format: "xml" is not one of text, json`},
		{name: "bad redis url", args: []string{"--redis-url", "http://u:pw@h"},
			want: `config: redis.url: "http://u:****@h" is not a redis://, rediss:// or unix:// URL`},
		{name: "nonsense addr env", env: []string{"FANOUT_ADDR=nonsense"},
			want: `config: server.addr: "nonsense" is not a listen address host:port (missing port in address)`},
		{name: "addr port too big", args: []string{"--addr", "127.0.0.1:70000"},
			want: `config: server.addr: "127.0.0.1:70000" is not a listen address host:port (port "70000" is not 0-65535 or a known service)`},
		{name: "addr bad host", file: "server:\n  addr: 'my_host!:6001'\n",
			want: `config: server.addr: "my_host!:6001" is not a listen address host:port (host "my_host!" is neither an IP address nor a host name)`},
		{name: "empty addr", args: []string{"--addr", ""},
			want: `config: server.addr: "" is not a listen address host:port (missing port in address)`},
		{name: "bad metrics addr", env: []string{"FANOUT_METRICS_ADDR=9601"},
			want: `config: server.metrics_addr: "9601" is not a listen address host:port (missing port in address)`},
		{name: "misspelt env", env: []string{"FANOUT_ADRR=127.0.0.1:7000"},
			want: `config: FANOUT_ADRR: names no setting (did you mean FANOUT_ADDR?); see fanout serve --help`},
		{name: "env naming no setting", env: []string{"FANOUT_SOMETHING_ELSE=1"},
			want: `config: FANOUT_SOMETHING_ELSE: names no setting; see fanout serve --help`},
		{name: "bad env int", env: []string{"FANOUT_MAX_MESSAGE_SIZE=lots"},
			want: `config: server.max_message_size (FANOUT_MAX_MESSAGE_SIZE): "lots" is not an integer`},
		{name: "bad flag duration", args: []string{"--drain", "soon"},
			want: `config: shutdown.drain (--drain): "soon" is not a duration such as 30s or 1m30s`},
		{name: "bad flag bool", args: []string{"--echo=sometimes"},
			want: `config: server.echo (--echo): "sometimes" is not true or false`},
		{name: "negative flag", args: []string{"--max-message-size", "-1"},
			want: `config: server.max_message_size: -1 must be greater than 0`},
		{name: "empty secret flag", args: []string{"--app-secret", ""},
			want: `config: apps[0].secret: must not be empty`},
		{name: "bad auth-mode flag", args: []string{"--auth-mode", "maybe"},
			want: `config: apps[0].auth.mode: "maybe" is not one of required, optional, off`},
		{name: "app flag with file apps", file: goodApps, args: []string{"--app-secret", "x"},
			want: `config: apps[0].secret (--app-secret): the config file lists 2 apps: set an app's secret with FANOUT_APP_<ID>_SECRET, e.g. FANOUT_APP_A_SECRET`},
		{name: "app id flag with file apps", file: goodApps, args: []string{"--app-id", "x"},
			want: `config: apps[0].id (--app-id): only applies when the config file lists no apps; set it in the file`},
		{name: "unset variable", file: "apps:\n  - id: a\n    key: k\n    secret: ${FANOUT_TEST_UNSET_VAR}\n",
			want: `config: apps[0].secret: ${FANOUT_TEST_UNSET_VAR} is not set and has no default (write ${FANOUT_TEST_UNSET_VAR:-default} for one) (FILE line 4)`},
		{name: "secret and secret_file", file: "apps:\n  - {id: a, key: k, secret: s, secret_file: /etc/hostname}\n",
			want: `config: apps[0].secret_file: give apps[0].secret or apps[0].secret_file, not both`},
		{name: "missing secret_file", file: "apps:\n  - {id: a, key: k, secret_file: /nonexistent/secret}\n",
			want: `config: apps[0].secret_file: open /nonexistent/secret: no such file or directory`},
		{name: "port-like FANOUT_PORT", env: []string{"FANOUT_PORT=6001"},
			want: `config: FANOUT_PORT: names no setting; see fanout serve --help`},
		{name: "misspelt addr", env: []string{"FANOUT_ADRR=127.0.0.1:1"},
			want: `config: FANOUT_ADRR: names no setting (did you mean FANOUT_ADDR?); see fanout serve --help`},
		{name: "app secret variable of another app", file: goodApps, env: []string{"FANOUT_APP_C_SECRET=x"},
			want: `config: FANOUT_APP_C_SECRET: names no setting (did you mean FANOUT_APP_A_SECRET?); see fanout serve --help`},
		{name: "unknown flag", args: []string{"--nope"},
			want: `config: flags: flag provided but not defined: -nope`},
		{name: "stray argument", args: []string{"extra"},
			want: `config: flags: unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.file
			if path != "" && path != "MISSING" {
				path = writeFile(t, tc.file)
			}
			_, err := Load(path, tc.env, tc.args)
			var ce ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a ConfigError", err, err)
			}
			if ce.Key == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q names no key or is not one line", err)
			}
			if want := strings.ReplaceAll(tc.want, "FILE", path); err.Error() != want {
				t.Fatalf("got  %s\nwant %s", err, want)
			}
		})
	}
}
