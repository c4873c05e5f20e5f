package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// RedisSentinel finds the Redis master through Redis Sentinel
// (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/)
// and follows it through failovers. The data nodes' scheme, credentials
// and database stay in redis.url, given without a host (redis://, or
// rediss://user@/2), and redis.password.
type RedisSentinel struct {
	// MasterName is the name the sentinels monitor the master under (the
	// <master-name> of "sentinel monitor"); default "" (no Sentinel).
	MasterName string `yaml:"master_name"`
	// Addrs are sentinels as host:port; at least one with MasterName.
	// The others are learnt from them.
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the sentinels (their own
	// requirepass or ACL user, not the data nodes'); default none.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"` // file holding Password; default ""
}

// Enabled reports whether a master name is set.
func (s RedisSentinel) Enabled() bool { return s.MasterName != "" }

// Enabled reports whether the broker is Redis: a URL or a Sentinel
// master name is set.
func (r Redis) Enabled() bool { return r.URL != "" || r.Sentinel.Enabled() }

// urlMasterSet is the master_set of a Sentinel URL in the form the
// Redis client reads (redis://sentinel:26379?addr=other:26379&master_set=name:
// its hosts are the sentinels), or "".
func urlMasterSet(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Query().Get("master_set")
}

// validate checks the sentinel settings against the rest of r.
func (s RedisSentinel) validate(r Redis) error {
	if !s.Enabled() {
		viaURL := urlMasterSet(r.URL) != ""
		switch {
		case len(s.Addrs) > 0:
			return ConfigError{Key: "redis.sentinel.master_name", Problem: "required with redis.sentinel.addrs"}
		case viaURL && r.Cluster:
			return ConfigError{Key: "redis.url", Problem: "master_set: redis.cluster and Sentinel exclude each other (a Redis Cluster fails over by itself)"}
		case viaURL:
			return nil
		case s.Username != "":
			return ConfigError{Key: "redis.sentinel.username", Problem: "needs redis.sentinel.master_name"}
		case s.Password != "":
			return ConfigError{Key: "redis.sentinel.password", Problem: "needs redis.sentinel.master_name"}
		}
		return nil
	}
	if strings.TrimSpace(s.MasterName) != s.MasterName || strings.ContainsAny(s.MasterName, " \t\r\n") {
		return ConfigError{Key: "redis.sentinel.master_name", Problem: fmt.Sprintf("%q holds white space, which a Sentinel master name cannot", s.MasterName)}
	}
	if r.Cluster {
		return ConfigError{Key: "redis.sentinel.master_name", Problem: "redis.cluster and Sentinel exclude each other (a Redis Cluster fails over by itself)"}
	}
	if len(s.Addrs) == 0 {
		return ConfigError{Key: "redis.sentinel.addrs", Problem: "at least one sentinel host:port is required with redis.sentinel.master_name"}
	}
	for i, a := range s.Addrs {
		if err := dialAddr(fmt.Sprintf("redis.sentinel.addrs[%d]", i), a); err != nil {
			return err
		}
	}
	if r.URL == "" {
		return nil
	}
	u, err := url.Parse(r.URL)
	switch {
	case err != nil || u.Scheme != "redis" && u.Scheme != "rediss":
		return ConfigError{Key: "redis.url", Problem: fmt.Sprintf("%q is not a redis:// or rediss:// URL (Sentinel reaches data nodes over TCP)", maskURL(r.URL))}
	case u.Host != "":
		return ConfigError{Key: "redis.url", Problem: fmt.Sprintf("%q names a host, but with redis.sentinel the sentinels name the master; give the URL without one (e.g. redis:///0 or rediss://user@/0)", maskURL(r.URL))}
	case u.Query().Has("master_set"):
		return ConfigError{Key: "redis.url", Problem: "master_set: give the master's name in redis.sentinel.master_name only"}
	}
	return nil
}

// dialAddr checks that v is host:port with a host (a sentinel, not a
// listen address).
func dialAddr(key, v string) error {
	if err := listenAddr(key, v); err != nil {
		return ConfigError{Key: key, Problem: strings.Replace(err.(ConfigError).Problem, "a listen address", "an address", 1)}
	}
	host, port, _ := net.SplitHostPort(v)
	switch {
	case host == "":
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q names no host", v)}
	case port == "0":
		return ConfigError{Key: key, Problem: fmt.Sprintf("%q: port 0 cannot be dialled", v)}
	}
	return nil
}
