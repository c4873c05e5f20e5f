package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRedisSentinelLayers: redis.sentinel is read from the file, its
// master name, addresses and user from FANOUT_REDIS_SENTINEL_* and
// --redis-sentinel-* over it, the addresses as a comma-separated list;
// it turns Redis on without redis.url, and the data nodes' password goes
// into a host-less URL.
func TestRedisSentinelLayers(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "sentinel-password")
	if err := os.WriteFile(secret, []byte("s-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "redis:\n  password: data-pass\n  sentinel:\n    master_name: file-master\n"+
		"    addrs: [10.0.0.1:26379, sentinel-b.internal:26379]\n    username: watcher\n    password_file: "+secret+"\n")
	c := mustLoad(t, path, nil, nil)
	s := c.Redis.Sentinel
	if s.MasterName != "file-master" || !reflect.DeepEqual(s.Addrs, []string{"10.0.0.1:26379", "sentinel-b.internal:26379"}) ||
		s.Username != "watcher" || s.Password != "s-pass" {
		t.Fatalf("from the file: %+v", s)
	}
	if !c.Redis.Enabled() || c.Redis.DialURL() != "redis://:data-pass@" {
		t.Fatalf("Enabled %v, DialURL %q; want true, redis://:data-pass@", c.Redis.Enabled(), c.Redis.DialURL())
	}
	env := []string{"FANOUT_REDIS_SENTINEL_MASTER_NAME=env-master", "FANOUT_REDIS_SENTINEL_ADDRS= 10.0.0.9:26379 , ,10.0.0.8:26380"}
	c = mustLoad(t, path, env, nil)
	if s := c.Redis.Sentinel; s.MasterName != "env-master" || !reflect.DeepEqual(s.Addrs, []string{"10.0.0.9:26379", "10.0.0.8:26380"}) {
		t.Fatalf("from the environment: %+v", s)
	}
	c = mustLoad(t, path, env, []string{"--redis-sentinel-master-name", "flag-master", "--redis-sentinel-addrs", "[::1]:26379",
		"--redis-sentinel-username", "other"})
	if s := c.Redis.Sentinel; s.MasterName != "flag-master" || !reflect.DeepEqual(s.Addrs, []string{"[::1]:26379"}) || s.Username != "other" {
		t.Fatalf("from the flags: %+v", s)
	}
	m := string(c.Masked().YAML())
	if strings.Contains(m, "s-pass") || strings.Contains(m, "data-pass") || !strings.Contains(m, "password: '****'") {
		t.Fatalf("--print-config shows a password:\n%s", m)
	}
	if c := mustLoad(t, "", nil, nil); c.Redis.Enabled() {
		t.Fatal("Redis enabled by default")
	}
	// The Redis client's own URL form: the hosts are the sentinels.
	c = mustLoad(t, "", nil, []string{"--redis-url", "redis://10.0.0.1:26379/0?addr=10.0.0.2:26379&master_set=m"})
	if !c.Redis.Enabled() || c.Redis.Sentinel.Enabled() {
		t.Fatalf("URL form: Enabled %v, Sentinel.Enabled %v", c.Redis.Enabled(), c.Redis.Sentinel.Enabled())
	}
}

// TestRedisSentinelBad: each inconsistent or malformed sentinel setting
// stops start-up with one line naming its key.
func TestRedisSentinelBad(t *testing.T) {
	with := func(body string) string { return "redis:\n  sentinel:\n" + body }
	const ok = "    master_name: m\n    addrs: [127.0.0.1:26379]\n"
	cases := []struct{ name, file, want string }{
		{"addrs without name", with("    addrs: [127.0.0.1:26379]\n"),
			`config: redis.sentinel.master_name: required with redis.sentinel.addrs`},
		{"name without addrs", with("    master_name: m\n"),
			`config: redis.sentinel.addrs: at least one sentinel host:port is required with redis.sentinel.master_name`},
		{"password without name", with("    password: p\n"),
			`config: redis.sentinel.password: needs redis.sentinel.master_name`},
		{"username without name", with("    username: u\n"),
			`config: redis.sentinel.username: needs redis.sentinel.master_name`},
		{"no port", with("    master_name: m\n    addrs: [127.0.0.1:26379, 10.0.0.2]\n"),
			`config: redis.sentinel.addrs[1]: "10.0.0.2" is not an address host:port (missing port in address)`},
		{"no host", with("    master_name: m\n    addrs: [':26379']\n"),
			`config: redis.sentinel.addrs[0]: ":26379" names no host`},
		{"port 0", with("    master_name: m\n    addrs: [127.0.0.1:0]\n"),
			`config: redis.sentinel.addrs[0]: "127.0.0.1:0": port 0 cannot be dialled`},
		{"space in name", with("    master_name: 'my master'\n    addrs: [127.0.0.1:26379]\n"),
			`config: redis.sentinel.master_name: "my master" holds white space, which a Sentinel master name cannot`},
		{"with cluster", "redis:\n  cluster: true\n  sentinel:\n" + ok,
			`config: redis.sentinel.master_name: redis.cluster and Sentinel exclude each other (a Redis Cluster fails over by itself)`},
		{"url with host", "redis:\n  url: redis://u:pw@10.0.0.5:6379/0\n  sentinel:\n" + ok,
			`config: redis.url: "redis://u:****@10.0.0.5:6379/0" names a host, but with redis.sentinel the sentinels name the master; give the URL without one (e.g. redis:///0 or rediss://user@/0)`},
		{"unix url", "redis:\n  url: unix:///run/redis.sock\n  sentinel:\n" + ok,
			`config: redis.url: "unix:///run/redis.sock" is not a redis:// or rediss:// URL (Sentinel reaches data nodes over TCP)`},
		{"master_set twice", "redis:\n  url: redis:///0?master_set=other\n  sentinel:\n" + ok,
			`config: redis.url: master_set: give the master's name in redis.sentinel.master_name only`},
		{"url form with cluster", "redis:\n  url: redis://10.0.0.1:26379?master_set=m\n  cluster: true\n",
			`config: redis.url: master_set: redis.cluster and Sentinel exclude each other (a Redis Cluster fails over by itself)`},
		{"password and its file", with(ok + "    password: p\n    password_file: /etc/hostname\n"),
			`config: redis.sentinel.password_file: give redis.sentinel.password or redis.sentinel.password_file, not both`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.file), nil, nil)
			var ce ConfigError
			if !errors.As(err, &ce) || err.Error() != tc.want {
				t.Fatalf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	// A host-less URL carries the data nodes' scheme, user and database.
	c := mustLoad(t, writeFile(t, "redis:\n  url: rediss://fanout@/2\n  password: pw\n  sentinel:\n"+ok), nil, nil)
	if got := c.Redis.DialURL(); got != "rediss://fanout:pw@/2" {
		t.Fatalf("DialURL %q", got)
	}
}
