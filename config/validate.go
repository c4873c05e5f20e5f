package config

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
)

// Validate checks every setting and returns the first problem as a
// ConfigError, or nil.
func (c Config) Validate() error {
	for _, check := range []func() error{c.Server.validate, c.heartbeat, c.Redis.validate, c.console, c.apps, c.reload, c.AppStore.validate, c.Idempotency.validate} {
		if err := check(); err != nil {
			return err
		}
	}
	return c.Limits.validate()
}

func (s Server) validate() error {
	return first(
		listenAddr("server.addr", s.Addr),
		oneOf("server.log_level", s.LogLevel, "debug", "info", "warn", "error"),
		oneOf("server.log_format", s.LogFormat, "text", "json"),
		positive("server.max_message_size", s.MaxMessageSize),
		positiveDuration("server.upgrade_timeout", s.UpgradeTimeout),
		positive("server.max_request_size", s.MaxRequestSize),
		optional(s.MetricsAddr, func() error { return listenAddr("server.metrics_addr", s.MetricsAddr) }),
		notNegative("server.event_loops", s.EventLoops),
		notNegative("server.max_connections", s.MaxConnections),
		s.TLS.validate(),
	)
}

// validate checks that cert and key come together; the files themselves
// are read when the server starts (and again on SIGHUP).
func (t TLS) validate() error {
	if t.KTLS != "" { // empty is auto
		if err := oneOf("server.tls.ktls", t.KTLS, "auto", "off"); err != nil {
			return err
		}
	}
	switch {
	case t.Cert != "" && t.Key == "":
		return ConfigError{Key: "server.tls.key", Problem: "required with server.tls.cert"}
	case t.Key != "" && t.Cert == "":
		return ConfigError{Key: "server.tls.cert", Problem: "required with server.tls.key"}
	case t.ClientCA != "" && t.Cert == "":
		return ConfigError{Key: "server.tls.client_ca", Problem: "needs server.tls.cert and server.tls.key"}
	}
	return nil
}

func (c Config) heartbeat() error {
	return first(
		positiveDuration("heartbeat.activity_timeout", c.Heartbeat.ActivityTimeout),
		positiveDuration("heartbeat.pong_timeout", c.Heartbeat.PongTimeout),
		notNegativeDuration("shutdown.drain", c.Shutdown.Drain),
	)
}

// tableRE is a PostgreSQL table name, optionally schema-qualified, of
// unquoted identifiers.
var tableRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

func (s AppStore) validate() error {
	if !s.Enabled() {
		return nil
	}
	if u, err := url.Parse(s.Postgres); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return ConfigError{Key: "app_store.postgres", Problem: fmt.Sprintf("%q is not a postgres:// URL", maskURL(s.Postgres))}
	}
	if !tableRE.MatchString(s.Table) {
		return ConfigError{Key: "app_store.table", Problem: fmt.Sprintf("%q is not a table name (letters, digits, _; schema.table allowed)", s.Table)}
	}
	if s.Refresh < time.Second {
		return ConfigError{Key: "app_store.refresh", Problem: fmt.Sprintf("%s is shorter than 1s", s.Refresh)}
	}
	return nil
}

func (c Config) reload() error {
	return notNegativeDuration("reload.secret_grace", c.Reload.SecretGrace)
}

func (r Redis) validate() error {
	if r.NodeTTL < time.Second {
		return ConfigError{Key: "redis.node_ttl", Problem: fmt.Sprintf("%s is shorter than 1s (nodes heartbeat every third of it)", r.NodeTTL)}
	}
	if err := r.Sentinel.validate(r); err != nil {
		return err
	}
	if r.Sentinel.Enabled() {
		return r.prefix() // redis.url checked with the sentinel settings
	}
	if r.URL == "" {
		if r.Password != "" {
			return ConfigError{Key: "redis.password", Problem: "needs redis.url"}
		}
		return nil
	}
	u, err := url.Parse(r.URL)
	if err != nil || !slices.Contains([]string{"redis", "rediss", "unix"}, u.Scheme) {
		return ConfigError{Key: "redis.url", Problem: fmt.Sprintf("%q is not a redis://, rediss:// or unix:// URL", maskURL(r.URL))}
	}
	return r.prefix()
}

// prefix checks redis.prefix: not empty, and in a Redis Cluster without
// braces, which would make part of it a hash tag and put the keys one
// script needs in different slots (Redis Cluster specification, "Hash
// tags").
func (r Redis) prefix() error {
	if err := nonEmpty("redis.prefix", r.Prefix); err != nil {
		return err
	}
	if r.Cluster && strings.ContainsAny(r.Prefix, "{}") {
		return ConfigError{Key: "redis.prefix", Problem: fmt.Sprintf("%q holds { or }: in a Redis Cluster part of it would become a hash tag and the keys one script needs would fall in different slots", r.Prefix)}
	}
	return nil
}

func (c Config) console() error {
	switch {
	case c.Console.Password != "" && c.Console.PasswordFile != "":
		return ConfigError{Key: "console.password_file", Problem: "give console.password or console.password_file, not both"}
	case c.Console.Enabled() && c.Server.MetricsAddr == "":
		return ConfigError{Key: "console.password", Problem: "the console is served on server.metrics_addr, which is empty"}
	}
	return nil
}

func (c Config) apps() error {
	if len(c.Apps) == 0 && !c.AppStore.Enabled() {
		return ConfigError{Key: "apps", Problem: "at least one app is required"}
	}
	ids, keys := map[string]int{}, map[string]int{}
	for i, a := range c.Apps {
		p := fmt.Sprintf("apps[%d]", i)
		if err := a.validate(p); err != nil {
			return err
		}
		if j, dup := ids[a.ID]; dup {
			return ConfigError{Key: p + ".id", Problem: fmt.Sprintf("%q is already the id of apps[%d]", a.ID, j)}
		}
		if j, dup := keys[a.Key]; dup {
			return ConfigError{Key: p + ".key", Problem: fmt.Sprintf("%q is already the key of apps[%d]", a.Key, j)}
		}
		ids[a.ID], keys[a.Key] = i, i
	}
	return nil
}

func (a App) validate(p string) error {
	return first(
		nonEmpty(p+".id", a.ID),
		nonEmpty(p+".key", a.Key),
		urlSafe(p+".key", a.Key),
		nonEmpty(p+".secret", a.Secret),
		a.Auth.validate(p+".auth"),
		origins(p+".allowed_origins", a.AllowedOrigins),
		notNegative(p+".max_connections", a.MaxConnections),
		positive(p+".max_channels_per_connection", a.MaxChannelsPerConnection),
		positive(p+".max_event_data", a.MaxEventData),
		positive(p+".client_event_rate", a.ClientEventRate),
		positive(p+".max_queued_bytes", a.MaxQueuedBytes),
		positive(p+".max_presence_members", a.MaxPresenceMembers),
		positive(p+".max_presence_member_id_length", a.MaxPresenceMemberIDLength),
		positive(p+".max_presence_member_size", a.MaxPresenceMemberSize),
		positiveDuration(p+".subscription_count_interval", a.SubscriptionCountInterval),
		a.Webhooks.validate(p+".webhooks"),
		histories(p+".history", a.History),
		historyAppID(p+".id", a),
	)
}

// historyAppID refuses braces in the id of an app with history: the
// Redis keys of a channel's history take the channel's pub/sub name as
// their hash tag, which a brace inside would cut short.
func historyAppID(key string, a App) error {
	if len(a.History) > 0 && strings.ContainsAny(a.ID, "{}") {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q must not contain { or } when the app keeps history", a.ID)}
	}
	return nil
}

// maxHistorySize bounds history.size: every kept event is held in memory
// (or in Redis) per channel.
const maxHistorySize = 100000

func histories(p string, hs []History) error {
	for i, h := range hs {
		k := fmt.Sprintf("%s[%d]", p, i)
		if !channelGlobRE.MatchString(h.Channels) {
			return ConfigError{Key: k + ".channels", Problem: fmt.Sprintf("%q is not a channel name pattern (letters, digits, -_=@,.; and *)", h.Channels)}
		}
		if h.Size <= 0 || h.Size > maxHistorySize {
			return ConfigError{Key: k + ".size", Problem: fmt.Sprintf("%d must be between 1 and %d", h.Size, maxHistorySize)}
		}
		if h.TTL < time.Second {
			return ConfigError{Key: k + ".ttl", Problem: fmt.Sprintf("%s must be at least 1s", h.TTL)}
		}
	}
	return nil
}

// channelGlobRE is a Pusher channel name with '*' wildcards.
var channelGlobRE = regexp.MustCompile(`^[-a-zA-Z0-9_=@,.;*]{1,164}$`)

var jwtAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"}

func (a Auth) validate(p string) error {
	err := first(
		oneOf(p+".mode", a.Mode, AuthRequired, AuthOptional, AuthOff),
		positiveDuration(p+".signin_timeout", a.SigninTimeout),
		nonEmpty(p+".cookie", a.Cookie),
		notNegativeDuration(p+".jwt.leeway", a.JWT.Leeway),
		httpURL(p+".jwt.jwks_url", a.JWT.JWKSURL),
	)
	if err != nil {
		return err
	}
	for i, alg := range a.JWT.Algorithms {
		if err := oneOf(fmt.Sprintf("%s.jwt.algorithms[%d]", p, i), alg, jwtAlgorithms...); err != nil {
			return err
		}
	}
	return nil
}

func (w Webhooks) validate(p string) error {
	err := first(
		httpURL(p+".url", w.URL),
		positive(p+".batch_max", w.BatchMax),
		positiveDuration(p+".batch_wait", w.BatchWait),
		positive(p+".max_queue", w.MaxQueue),
		positive(p+".max_retries", w.MaxRetries),
		graceRange(p+".grace", w.Grace),
	)
	if err != nil {
		return err
	}
	if err := webhookEvents(p+".events", w.Events); err != nil {
		return err
	}
	for i, e := range w.Endpoints {
		if err := e.validate(fmt.Sprintf("%s.endpoints[%d]", p, i)); err != nil {
			return err
		}
	}
	return nil
}

func (e WebhookEndpoint) validate(p string) error {
	if e.URL == "" {
		return ConfigError{Key: p + ".url", Problem: "required"}
	}
	if err := httpURL(p+".url", e.URL); err != nil {
		return err
	}
	if err := webhookEvents(p+".events", e.Events); err != nil {
		return err
	}
	for name := range e.Headers {
		key := p + ".headers." + name
		if !isToken(name) {
			return ConfigError{Key: key, Problem: "not a valid HTTP header name (RFC 9110 section 5.1)"}
		}
		switch c := http.CanonicalHeaderKey(name); {
		case strings.HasPrefix(c, "X-Pusher-"), c == "Content-Type", c == "Content-Length", c == "Host":
			return ConfigError{Key: key, Problem: "set by fanout (the signature and body headers); choose another name"}
		}
		if strings.ContainsFunc(e.Headers[name], func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return ConfigError{Key: key, Problem: "the value holds a character HTTP does not allow (RFC 9110 section 5.5)"}
		}
	}
	return nil
}

// isToken reports whether s is an RFC 9110 section 5.6.2 token, the
// syntax of a header field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func webhookEvents(p string, events []string) error {
	for i, e := range events {
		if err := oneOf(fmt.Sprintf("%s[%d]", p, i), e, WebhookEvents()...); err != nil {
			return err
		}
	}
	return nil
}

func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func nonEmpty(key, v string) error {
	if strings.TrimSpace(v) == "" {
		return ConfigError{Key: key, Problem: "must not be empty"}
	}
	return nil
}

// optional runs check unless v is empty (a setting that "" disables).
func optional(v string, check func() error) error {
	if v == "" {
		return nil
	}
	return check()
}

// listenAddr checks a TCP listen address "host:port" as net.Listen reads
// it: host empty (every interface), an IP literal (IPv6 in brackets) or a
// host name; port a number from 0 to 65535 or a service name known to
// /etc/services. Names are resolved only when the node starts.
func listenAddr(key, v string) error {
	bad := func(why string) error {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q is not a listen address host:port (%s)", v, why)}
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return bad(ae.Err)
		}
		return bad(err.Error())
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return bad("port " + strconv.Quote(port) + " is not 0-65535 or a known service")
	}
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if !hostName(host) {
		return bad("host " + strconv.Quote(host) + " is neither an IP address nor a host name")
	}
	return nil
}

// hostName reports whether h has the syntax of a DNS host name
// (RFC 1123 section 2.1: dot-separated labels of letters, digits and
// inner hyphens, each at most 63 bytes, at most 253 in all).
func hostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

func urlSafe(key, v string) error {
	if strings.ContainsAny(v, "/?#% \t") {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q must not contain / ? # %% or spaces", v)}
	}
	return nil
}

func oneOf(key, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return ConfigError{Key: key, Problem: fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))}
}

func positive(key string, n int) error {
	if n <= 0 {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%d must be greater than 0", n)}
	}
	return nil
}

func notNegative(key string, n int) error {
	if n < 0 {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%d must not be negative (0 means unlimited or automatic)", n)}
	}
	return nil
}

func positiveDuration(key string, d time.Duration) error {
	if d <= 0 {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%s must be longer than 0s", d)}
	}
	return nil
}

func graceRange(key string, d time.Duration) error {
	if d < 0 || d > MaxWebhookGrace {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%s must be between 0s (off) and %s", d, MaxWebhookGrace)}
	}
	return nil
}

func notNegativeDuration(key string, d time.Duration) error {
	if d < 0 {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%s must not be negative", d)}
	}
	return nil
}

func httpURL(key, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q is not an http:// or https:// URL", v)}
	}
	return nil
}

func origins(key string, list []string) error {
	for i, o := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		if strings.TrimSpace(o) == "" {
			return ConfigError{Key: k, Problem: "must not be empty"}
		}
		// The same parser that matches Origin headers at the upgrade: a
		// pattern it cannot read would silently match nothing.
		if (auth.OriginPolicy{Allowed: []string{o}}).Validate() != nil {
			return ConfigError{Key: k, Problem: fmt.Sprintf(`%q is not an origin: want "https://host[:port]", "https://*.domain" or "*.domain"`, o)}
		}
	}
	return nil
}
