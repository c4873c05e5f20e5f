package config

import "time"

// Config is every setting of `fanout serve`. Default returns it filled
// with the documented defaults.
type Config struct {
	Server    Server    `yaml:"server"`
	Heartbeat Heartbeat `yaml:"heartbeat"`
	Shutdown  Shutdown  `yaml:"shutdown"`
	Redis     Redis     `yaml:"redis"`
	Console   Console   `yaml:"console"`
	Apps      []App     `yaml:"apps"`
	Reload    Reload    `yaml:"reload"`
	AppStore  AppStore  `yaml:"app_store"`

	Idempotency Idempotency `yaml:"idempotency"`

	// File is the config file that was read ("" for none). Not a YAML key.
	File string `yaml:"-"`
	// PrintConfig is set by --print-config: print Masked().YAML() and exit.
	PrintConfig bool `yaml:"-"`
	// IgnoredVariables are the FANOUT_ variables Load left alone because
	// Kubernetes or Docker links set them (env.go), for one info line.
	IgnoredVariables []string `yaml:"-"`

	Limits Limits `yaml:"limits"` // per client limits (limits.go)
}

// AppStore reads apps from a PostgreSQL table besides those of the file,
// into memory: a connection's upgrade never waits for the database. The
// table is read at start, every Refresh and on SIGHUP (appstore package).
type AppStore struct {
	// Postgres is the database, a postgres:// URL (libpq's URI form,
	// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS);
	// default "" (no app store).
	Postgres     string `yaml:"postgres"`
	PostgresFile string `yaml:"postgres_file"` // file holding Postgres; default ""
	// Table holds the apps: id, key, secret, enabled and settings (JSON
	// with any other app key of this file); schema.table allowed. Default
	// fanout_apps.
	Table string `yaml:"table"`
	// Refresh is how often the table is read again; default 30s, at
	// least 1s.
	Refresh time.Duration `yaml:"refresh"`
}

// Enabled reports whether apps are read from a database.
func (s AppStore) Enabled() bool { return s.Postgres != "" }

// Reload holds what SIGHUP does besides reading the TLS files again: the
// apps are read again from the config file.
type Reload struct {
	// SecretGrace is how long an app's previous secret stays accepted
	// after a reload changed it (HTTP API signatures, channel
	// authorization, signin), so backends can move to the new one one by
	// one; default 5m, 0 switches at once.
	SecretGrace time.Duration `yaml:"secret_grace"`
	// Watch reloads as SIGHUP does whenever the config file changes
	// (written in place or replaced by a rename); default false.
	Watch bool `yaml:"watch"`
}

// Server holds the listener, logging and per-process limits.
type Server struct {
	Addr           string        `yaml:"addr"`             // WebSocket + HTTP API; default 127.0.0.1:6001
	MetricsAddr    string        `yaml:"metrics_addr"`     // /metrics; default 127.0.0.1:9601; "" disables
	LogLevel       string        `yaml:"log_level"`        // debug|info|warn|error; default info
	LogFormat      string        `yaml:"log_format"`       // text|json; default text
	Echo           bool          `yaml:"echo"`             // serve GET /echo; default false
	MaxMessageSize int           `yaml:"max_message_size"` // bytes per WebSocket message; default 65536
	UpgradeTimeout time.Duration `yaml:"upgrade_timeout"`  // upgrade headers must arrive within; default 5s
	MaxRequestSize int           `yaml:"max_request_size"` // upgrade request bytes; default 8192
	EventLoops     int           `yaml:"event_loops"`      // poller loops; default 0 = GOMAXPROCS
	IOUring        bool          `yaml:"io_uring"`         // fan-out sends through io_uring; default true
	MaxConnections int           `yaml:"max_connections"`  // whole process; default 0 = RLIMIT_NOFILE minus a reserve
	TLS            TLS           `yaml:"tls"`              // TLS on addr; default off
}

// TLS turns on TLS (1.2 and 1.3) for WebSocket and the HTTP API on
// server.addr. Cert and key are given together; SIGHUP reads them again.
type TLS struct {
	Cert string `yaml:"cert"` // PEM certificate chain, leaf first; default "" (plain TCP)
	Key  string `yaml:"key"`  // PEM private key of the leaf; default ""
	// ClientCA is a PEM bundle: clients that present a certificate must
	// chain to it, and the HTTP API then requires one (mutual TLS).
	// Default "" (no client certificates asked for).
	ClientCA string `yaml:"client_ca"`
	// KTLS is auto or off. auto hands each TLS 1.3 connection to the
	// kernel's TLS after its handshake (Linux TCP_ULP "tls", TLS_TX and
	// TLS_RX) where the kernel offers it, else leaves it on fanout's own
	// record layer; off never asks the kernel. Default "auto" (empty
	// means auto too).
	KTLS string `yaml:"ktls"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.Cert != "" || t.Key != "" }

// Heartbeat holds the activity timers (activity_timeout and pong_timeout, as
// the Pusher protocol announces them in pusher:connection_established).
type Heartbeat struct {
	ActivityTimeout time.Duration `yaml:"activity_timeout"` // silence before pusher:ping; default 120s
	PongTimeout     time.Duration `yaml:"pong_timeout"`     // wait for the pong, then 4201; default 30s
}

// Shutdown holds the drain settings.
type Shutdown struct {
	Drain time.Duration `yaml:"drain"` // spread of the 4200 closes; default 10s
}

// Redis holds the scale-out broker; without a URL or a Sentinel master
// name, the broker is in-memory (see Enabled).
type Redis struct {
	URL string `yaml:"url"` // redis://, rediss:// or unix://; default "" (single node)
	// Password replaces the password of URL (RFC 3986 userinfo), so the
	// URL can live in the file and the password elsewhere; default "".
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"` // file holding Password; default ""
	Cluster      bool   `yaml:"cluster"`       // Redis Cluster, sharded pub/sub; default false
	// Sentinel finds the master through Redis Sentinel (sentinel.go);
	// default none.
	Sentinel RedisSentinel `yaml:"sentinel"`
	Prefix   string        `yaml:"prefix"` // key and channel prefix; default "fanout"
	// NodeTTL is how long a node that stopped heartbeating but still holds
	// its Redis connections (stalled, or cut off) keeps its presence
	// members and subscriptions before another node removes them (and
	// sends member_removed / channel_vacated); a node whose process died
	// (its connections closed) is removed after four heartbeats instead.
	// Default 15s, at least 1s.
	NodeTTL time.Duration `yaml:"node_ttl"`
	// StrictRefusals makes a publish answered 503 one that reached no
	// subscriber: each publish then runs as a Lua script that checks
	// the caller's deadline and the listening nodes before it publishes,
	// at about 1.5 times Redis's CPU per publish. Default false: a plain
	// PUBLISH checked against the listening nodes after it ran, so an
	// event a listening node missed is still refused (503), but in a
	// node's crash or a Redis stall a 503 may follow a delivery to the
	// other nodes, as a timeout may. Channels with history always run
	// as a script.
	StrictRefusals bool `yaml:"strict_refusals"`
}

// Console turns on the web console and its admin API under /console on
// server.metrics_addr. It is off unless a password is set.
type Console struct {
	// Password is the admin credential; default "" (console off).
	Password string `yaml:"password"`
	// PasswordFile holds the credential instead (trailing newline
	// removed), read at start; default "".
	PasswordFile string `yaml:"password_file"`
}

// Enabled reports whether a console credential is configured.
func (c Console) Enabled() bool { return c.Password != "" || c.PasswordFile != "" }

// App is one tenant: credentials, auth, limits and webhooks.
type App struct {
	ID     string `yaml:"id"`     // required, unique
	Key    string `yaml:"key"`    // required, unique; the path of /app/{key}
	Secret string `yaml:"secret"` // required, unless secret_file is given
	// SecretFile names a file holding the secret (a trailing newline is
	// dropped), e.g. a mounted Kubernetes Secret; default "".
	SecretFile string `yaml:"secret_file"`
	Enabled    bool   `yaml:"enabled"` // default true

	Auth Auth `yaml:"auth"`

	AllowedOrigins []string `yaml:"allowed_origins"` // exact or *.example.com; default [] = any
	RequireOrigin  bool     `yaml:"require_origin"`  // refuse upgrades without Origin; default false
	ClientEvents   bool     `yaml:"client_events"`   // allow client-* events; default false
	Deflate        bool     `yaml:"deflate"`         // permessage-deflate; default false

	MaxConnections           int `yaml:"max_connections"`             // default 0 = unlimited
	MaxChannelsPerConnection int `yaml:"max_channels_per_connection"` // default 100
	MaxEventData             int `yaml:"max_event_data"`              // bytes of event data; default 10240
	ClientEventRate          int `yaml:"client_event_rate"`           // client events per second per connection; default 10
	MaxQueuedBytes           int `yaml:"max_queued_bytes"`            // unsent bytes per connection; default 1048576
	MaxPresenceMembers       int `yaml:"max_presence_members"`        // per presence channel; default 100
	// MaxPresenceMemberIDLength bounds a presence user_id in characters;
	// MaxPresenceMemberSize a presence subscription's channel_data in
	// bytes. Defaults 128 and 1024, Pusher's limits.
	MaxPresenceMemberIDLength int `yaml:"max_presence_member_id_length"`
	MaxPresenceMemberSize     int `yaml:"max_presence_member_size"`

	// SubscriptionCount sends pusher_internal:subscription_count to the
	// subscribers of non-presence channels, and the subscription_count
	// webhook, when a channel's count changes, at most once per
	// SubscriptionCountInterval per channel. Defaults false and 1s.
	SubscriptionCount         bool          `yaml:"subscription_count"`
	SubscriptionCountInterval time.Duration `yaml:"subscription_count_interval"`

	// WatchlistEvents tracks users' online state cluster-wide and sends
	// online/offline watchlist events to users who signed in with a
	// watchlist (at most 100 ids); default false.
	WatchlistEvents bool `yaml:"watchlist_events"`

	// History lists the channels that keep their last events for
	// recovery on reconnect and the history endpoint; default [] = none.
	History []History `yaml:"history"`

	Webhooks Webhooks `yaml:"webhooks"`
}

// History keeps the last Size events of every channel matching Channels,
// for TTL after the channel's last event.
type History struct {
	Channels string        `yaml:"channels"` // channel name glob, '*' matches any run; required
	Size     int           `yaml:"size"`     // events kept per channel; required, 1..100000
	TTL      time.Duration `yaml:"ttl"`      // kept this long after the last event; required, at least 1s
}

// The auth modes of an app.
const (
	AuthRequired = "required"
	AuthOptional = "optional"
	AuthOff      = "off"
)

// Auth says how connections of an app authenticate.
type Auth struct {
	Mode               string        `yaml:"mode"`                 // required|optional|off; default required (built-in app: optional)
	SigninTimeout      time.Duration `yaml:"signin_timeout"`       // grace for pusher:signin; default 30s
	Cookie             string        `yaml:"cookie"`               // cookie holding the JWT; default fanout_token
	PublicBeforeSignin bool          `yaml:"public_before_signin"` // public subscriptions before signin; default false
	JWT                JWT           `yaml:"jwt"`
}

// JWT configures token verification at the upgrade.
type JWT struct {
	Algorithms    []string      `yaml:"algorithms"`      // allowed algs; default [] = every alg the configured keys support
	Secret        string        `yaml:"secret"`          // HS* key; default "" = the app secret
	SecretFile    string        `yaml:"secret_file"`     // file holding Secret; default ""
	PublicKeyFile string        `yaml:"public_key_file"` // PEM for RS*/ES*/EdDSA; default ""
	JWKSURL       string        `yaml:"jwks_url"`        // JWKS endpoint; default ""
	Issuer        string        `yaml:"issuer"`          // required iss when set; default ""
	Audience      string        `yaml:"audience"`        // required aud when set; default ""
	Leeway        time.Duration `yaml:"leeway"`          // clock skew for exp/nbf; default 0s
}

// Webhooks configures an app's webhooks: the endpoint of URL (with
// Events) and those of Endpoints each get the events they ask for; with
// neither, none are sent. The batch, queue and grace settings apply to
// every endpoint.
type Webhooks struct {
	URL        string            `yaml:"url"`         // http(s) endpoint; default "" = none
	Events     []string          `yaml:"events"`      // URL's events; default every event name fanout sends
	Endpoints  []WebhookEndpoint `yaml:"endpoints"`   // more endpoints; default none
	BatchMax   int               `yaml:"batch_max"`   // events per request; default 50
	BatchWait  time.Duration     `yaml:"batch_wait"`  // longest wait to fill a batch; default 1s
	MaxQueue   int               `yaml:"max_queue"`   // queued events before dropping; default 10000
	MaxRetries int               `yaml:"max_retries"` // retries on 5xx/network errors; default 5
	// Grace holds member_removed and channel_vacated this long; a return
	// of the user or channel within it (on any node) cancels them and the
	// return's member_added or channel_occupied, as Pusher does. Default
	// 3s, 0 sends them at once, at most 1m.
	Grace time.Duration `yaml:"grace"`
}

// WebhookEndpoint is one more receiver of an app's webhooks, with its own
// event types, channel filter and request headers.
type WebhookEndpoint struct {
	URL      string            `yaml:"url"`      // http(s) endpoint; required
	Events   []string          `yaml:"events"`   // event names; default every event name fanout sends
	Channels string            `yaml:"channels"` // channel name glob, '*' matches any run; default "" = every channel
	Headers  map[string]string `yaml:"headers"`  // extra request headers; default none; not X-Pusher-*, Content-Type or Content-Length
}
