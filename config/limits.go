package config

import (
	"fmt"

	"github.com/fanout/fanout/ratelimit"
)

// Limits are the per-client limits: per source address (connections and
// upgrade rate; refusals are HTTP 429 with Retry-After before the
// upgrade) and per app (HTTP API requests). The defaults are far above
// what one browser or one backend does; 0 turns a limit off.
type Limits struct {
	// MaxConnectionsPerIP: WebSocket connections and event streams one
	// source address may hold open. Default 10000.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// UpgradesPerSecondPerIP: connections (WebSocket or event stream)
	// one source address may open a second, sustained. Default 200.
	UpgradesPerSecondPerIP int `yaml:"upgrades_per_second_per_ip"`
	// UpgradeBurstPerIP: how many it may open at once after a quiet
	// spell. Default 400.
	UpgradeBurstPerIP int `yaml:"upgrade_burst_per_ip"`
	// APIRequestsPerSecond: signed HTTP API requests one app may make a
	// second (a second's worth at once). Default 10000.
	APIRequestsPerSecond int `yaml:"api_requests_per_second"`
	// TrustedProxies: addresses or CIDR prefixes of the reverse proxies
	// in front of the node. A connection from one is counted against the
	// address its X-Forwarded-For names (the last hop not a trusted
	// proxy); from anyone else, against its peer address. Default none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Exempt: addresses or CIDR prefixes never limited per address
	// (checked on the client address, after trusted proxies). Default
	// loopback and the private ranges, where proxies and load balancers
	// connect from; [] limits every address.
	Exempt []string `yaml:"exempt"`
}

func defaultLimits() Limits {
	return Limits{MaxConnectionsPerIP: 10_000, UpgradesPerSecondPerIP: 200, UpgradeBurstPerIP: 400,
		APIRequestsPerSecond: 10_000, TrustedProxies: []string{}, Exempt: defaultExempt()}
}

func defaultExempt() []string {
	var s []string
	for _, p := range ratelimit.DefaultExempt() {
		s = append(s, p.String())
	}
	return s
}

func (l Limits) validate() error {
	if _, err := ratelimit.ParsePrefixes(l.TrustedProxies); err != nil {
		return ConfigError{Key: "limits.trusted_proxies", Problem: err.Error()}
	}
	if _, err := ratelimit.ParsePrefixes(l.Exempt); err != nil {
		return ConfigError{Key: "limits.exempt", Problem: err.Error()}
	}
	return first(
		notNegative("limits.max_connections_per_ip", l.MaxConnectionsPerIP),
		notNegative("limits.upgrades_per_second_per_ip", l.UpgradesPerSecondPerIP),
		notNegative("limits.upgrade_burst_per_ip", l.UpgradeBurstPerIP),
		notNegative("limits.api_requests_per_second", l.APIRequestsPerSecond),
	)
}

// IPOptions are the per-address limits as ratelimit takes them (0, off,
// becomes a negative value there).
func (l Limits) IPOptions() ratelimit.IPOptions {
	return ratelimit.IPOptions{
		MaxConns: offIfZero(l.MaxConnectionsPerIP),
		Rate:     float64(offIfZero(l.UpgradesPerSecondPerIP)),
		Burst:    l.UpgradeBurstPerIP,
		Exempt:   must(ratelimit.ParsePrefixes(l.Exempt)),
	}
}

// Proxies are the trusted proxies, parsed (Validate checked them).
func (l Limits) Proxies() *ratelimit.Proxies {
	return must(ratelimit.NewProxies(l.TrustedProxies))
}

// must is for values Validate has checked.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("config: limits not validated: %v", err))
	}
	return v
}

func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
