package config

import (
	"strconv"
	"strings"
	"time"
)

// setting is one flag and its FANOUT_ variable: the YAML key it sets and
// how to parse a string into the Config.
type setting struct {
	flag   string // flag name without dashes
	key    string // YAML path it sets, for errors
	usage  string
	isApp  bool // sets the single built-in app
	isBool bool // a flag that needs no value
	set    func(c *Config, v string) error
}

// envName is the environment variable of a flag name.
func envName(flag string) string {
	return "FANOUT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func settings() []setting {
	return []setting{
		{flag: "addr", key: "server.addr", usage: "listen address for WebSocket and HTTP API (default 127.0.0.1:6001)",
			set: str(func(c *Config) *string { return &c.Server.Addr })},
		{flag: "metrics-addr", key: "server.metrics_addr", usage: `listen address for /metrics; "" disables (default 127.0.0.1:9601)`,
			set: str(func(c *Config) *string { return &c.Server.MetricsAddr })},
		{flag: "log-level", key: "server.log_level", usage: "debug, info, warn or error (default info)",
			set: str(func(c *Config) *string { return &c.Server.LogLevel })},
		{flag: "log-format", key: "server.log_format", usage: "text or json (default text)",
			set: str(func(c *Config) *string { return &c.Server.LogFormat })},
		{flag: "echo", isBool: true, key: "server.echo", usage: "serve GET /echo, a plain WebSocket echo endpoint for conformance runs",
			set: boolean(func(c *Config) *bool { return &c.Server.Echo })},
		{flag: "max-message-size", key: "server.max_message_size", usage: "WebSocket message limit in bytes (default 65536)",
			set: integer(func(c *Config) *int { return &c.Server.MaxMessageSize })},
		{flag: "upgrade-timeout", key: "server.upgrade_timeout", usage: "upgrade headers must arrive within (default 5s)",
			set: duration(func(c *Config) *time.Duration { return &c.Server.UpgradeTimeout })},
		{flag: "max-request-size", key: "server.max_request_size", usage: "upgrade request limit in bytes (default 8192)",
			set: integer(func(c *Config) *int { return &c.Server.MaxRequestSize })},
		{flag: "event-loops", key: "server.event_loops", usage: "poller event loops; 0 = GOMAXPROCS (default 0)",
			set: integer(func(c *Config) *int { return &c.Server.EventLoops })},
		{flag: "io-uring", isBool: true, key: "server.io_uring", usage: "hand each fan-out's sends to the kernel in one io_uring_enter(2); falls back to writev(2) where io_uring is unavailable (default true; false writes with writev(2))",
			set: boolean(func(c *Config) *bool { return &c.Server.IOUring })},
		{flag: "max-connections", key: "server.max_connections", usage: "WebSocket connections per process; 0 = open-file limit minus a reserve (default 0)",
			set: integer(func(c *Config) *int { return &c.Server.MaxConnections })},
		{flag: "tls-cert", key: "server.tls.cert", usage: "PEM certificate chain: serve wss:// and https on --addr (default none: plain TCP)",
			set: str(func(c *Config) *string { return &c.Server.TLS.Cert })},
		{flag: "tls-key", key: "server.tls.key", usage: "PEM private key of --tls-cert",
			set: str(func(c *Config) *string { return &c.Server.TLS.Key })},
		{flag: "tls-client-ca", key: "server.tls.client_ca", usage: "PEM CA bundle: the HTTP API requires a client certificate from it (default none)",
			set: str(func(c *Config) *string { return &c.Server.TLS.ClientCA })},
		{flag: "tls-ktls", key: "server.tls.ktls", usage: "auto: TLS 1.3 records go to kernel TLS where the kernel has it; off: always in user space (default auto)",
			set: str(func(c *Config) *string { return &c.Server.TLS.KTLS })},
		{flag: "activity-timeout", key: "heartbeat.activity_timeout", usage: "client silence before pusher:ping (default 2m0s)",
			set: duration(func(c *Config) *time.Duration { return &c.Heartbeat.ActivityTimeout })},
		{flag: "pong-timeout", key: "heartbeat.pong_timeout", usage: "wait for the pong before closing with 4201 (default 30s)",
			set: duration(func(c *Config) *time.Duration { return &c.Heartbeat.PongTimeout })},
		{flag: "drain", key: "shutdown.drain", usage: "spread of the closes on SIGTERM (default 10s)",
			set: duration(func(c *Config) *time.Duration { return &c.Shutdown.Drain })},
		{flag: "redis-url", key: "redis.url", usage: "Redis for scale-out, e.g. redis://127.0.0.1:6379/0 (default none: in-memory, single node)",
			set: str(func(c *Config) *string { return &c.Redis.URL })},
		{flag: "redis-cluster", isBool: true, key: "redis.cluster", usage: "the Redis URL is a Redis Cluster (sharded pub/sub)",
			set: boolean(func(c *Config) *bool { return &c.Redis.Cluster })},
		{flag: "redis-sentinel-master-name", key: "redis.sentinel.master_name", usage: "find the Redis master of this name through Redis Sentinel (default none)",
			set: str(func(c *Config) *string { return &c.Redis.Sentinel.MasterName })},
		{flag: "redis-sentinel-addrs", key: "redis.sentinel.addrs", usage: "sentinels as comma-separated host:port, e.g. 10.0.0.1:26379,10.0.0.2:26379",
			set: list(func(c *Config) *[]string { return &c.Redis.Sentinel.Addrs })},
		{flag: "redis-sentinel-username", key: "redis.sentinel.username", usage: "ACL user for the sentinels (default none; the password goes in redis.sentinel.password or its _file)",
			set: str(func(c *Config) *string { return &c.Redis.Sentinel.Username })},
		{flag: "redis-prefix", key: "redis.prefix", usage: "prefix of Redis keys and channels (default fanout)",
			set: str(func(c *Config) *string { return &c.Redis.Prefix })},
		{flag: "redis-node-ttl", key: "redis.node_ttl", usage: "how long a node that stopped heartbeating but still holds its Redis connections keeps its presence members and subscriptions before others remove them; a node whose process died goes after 2s (default 15s)",
			set: duration(func(c *Config) *time.Duration { return &c.Redis.NodeTTL })},
		{flag: "redis-strict-refusals", isBool: true, key: "redis.strict_refusals", usage: "a publish answered 503 reached no subscriber, at about 1.5 times Redis's CPU per publish (each runs as a Lua script); by default a plain PUBLISH, whose 503 in a node's crash or a Redis stall may follow a partial delivery",
			set: boolean(func(c *Config) *bool { return &c.Redis.StrictRefusals })},
		{flag: "webhook-grace", key: "apps[*].webhooks.grace", usage: "hold member_removed and channel_vacated webhooks this long, for every app; a return within it sends neither (default 3s, 0 = off)",
			set: func(c *Config, v string) error {
				for i := range c.Apps {
					if err := duration(func(c *Config) *time.Duration { return &c.Apps[i].Webhooks.Grace })(c, v); err != nil {
						return err
					}
				}
				return nil
			}},
		{flag: "console-password", key: "console.password", usage: "turn on the web console on --metrics-addr with this admin password (prefer FANOUT_CONSOLE_PASSWORD or --console-password-file: flags show in ps)",
			set: str(func(c *Config) *string { return &c.Console.Password })},
		{flag: "console-password-file", key: "console.password_file", usage: "file holding the web console's admin password (default none: console off)",
			set: str(func(c *Config) *string { return &c.Console.PasswordFile })},
		{flag: "app-id", key: "apps[0].id", isApp: true, usage: "id of the single app when the config file lists none (default app-id)",
			set: str(func(c *Config) *string { return &c.Apps[0].ID })},
		{flag: "app-key", key: "apps[0].key", isApp: true, usage: "key of the single app (default app-key)",
			set: str(func(c *Config) *string { return &c.Apps[0].Key })},
		{flag: "app-secret", key: "apps[0].secret", isApp: true, usage: "secret of the single app (default app-secret)",
			set: str(func(c *Config) *string { return &c.Apps[0].Secret })},
		{flag: "auth-mode", key: "apps[0].auth.mode", isApp: true, usage: "auth mode of the single app: required, optional or off (default optional)",
			set: str(func(c *Config) *string { return &c.Apps[0].Auth.Mode })},
	}
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

// list splits a comma-separated value, trimming spaces and dropping
// empty items.
func list(field func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var items []string
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		*field(c) = items
		return nil
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return problem("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

func integer(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return problem("%q is not an integer", v)
		}
		*field(c) = n
		return nil
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return problem("%q is not a duration such as 30s or 1m30s", v)
		}
		*field(c) = d
		return nil
	}
}
