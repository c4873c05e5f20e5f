package config

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

const mask = "****"

// Masked returns a copy of c with app secrets, JWT secrets, the Redis
// password, the console password, the Redis Sentinel password and the
// credentials in the Redis, webhook and JWKS URLs replaced by "****", for
// logs and --print-config. The *_file settings are paths and stay.
func (c Config) Masked() Config {
	apps := make([]App, len(c.Apps))
	for i, a := range c.Apps {
		if a.Secret != "" {
			a.Secret = mask
		}
		if a.Auth.JWT.Secret != "" {
			a.Auth.JWT.Secret = mask
		}
		a.Webhooks.URL = maskURL(a.Webhooks.URL)
		eps := make([]WebhookEndpoint, len(a.Webhooks.Endpoints))
		for j, e := range a.Webhooks.Endpoints {
			e.URL = maskURL(e.URL)
			if len(e.Headers) > 0 {
				h := make(map[string]string, len(e.Headers))
				for k := range e.Headers {
					h[k] = mask // header values often carry tokens
				}
				e.Headers = h
			}
			eps[j] = e
		}
		if a.Webhooks.Endpoints != nil {
			a.Webhooks.Endpoints = eps
		}
		a.Auth.JWT.JWKSURL = maskURL(a.Auth.JWT.JWKSURL)
		apps[i] = a
	}
	c.Apps = apps
	c.Redis.URL = maskURL(c.Redis.URL)
	if c.Redis.Password != "" {
		c.Redis.Password = mask
	}
	if c.Redis.Sentinel.Password != "" {
		c.Redis.Sentinel.Password = mask
	}
	c.AppStore.Postgres = maskURL(c.AppStore.Postgres)
	if c.Console.Password != "" {
		c.Console.Password = mask
	}
	return c
}

// maskURL hides the credentials of a URL (RFC 3986 section 3.2.1
// userinfo): the password of user:password, or a lone user name, which
// services often use for a token.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "MASKED")
	} else {
		u.User = url.User("MASKED")
	}
	return strings.Replace(u.String(), "MASKED", mask, 1)
}

// YAML returns c as a config file Load would read back (durations as
// strings such as "30s"). Call it on Masked() before printing.
func (c Config) YAML() []byte {
	out, err := yaml.Marshal(c)
	if err != nil {
		// Config holds only strings, numbers, bools and slices of them.
		panic("config: marshal: " + err.Error())
	}
	return out
}

// UsesDevCredentials reports whether an enabled app uses the built-in
// development secret "app-secret", for the start-up warning.
func (c Config) UsesDevCredentials() bool {
	for _, a := range c.Apps {
		if a.Enabled && a.Secret == DevAppSecret {
			return true
		}
	}
	return false
}
