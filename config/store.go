package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"gopkg.in/yaml.v3"
)

// StoreApp builds one app read from the app store: the DefaultApp,
// then settings (a JSON or YAML mapping of any app key of the config
// file, e.g. {"auth": {"mode": "off"}, "max_connections": 100}; empty
// means none), then the columns id, key, secret and enabled. A problem
// is a ConfigError naming the row.
func StoreApp(id, key, secret string, enabled bool, settings []byte) (App, error) {
	a := DefaultApp()
	row := fmt.Sprintf("app_store row %q", id)
	if len(bytes.TrimSpace(settings)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(settings))
		dec.KnownFields(true)
		if err := dec.Decode(&a); err != nil && !errors.Is(err, io.EOF) {
			return App{}, ConfigError{Key: row + " settings", Problem: err.Error()}
		}
	}
	if a.SecretFile != "" || a.Auth.JWT.SecretFile != "" {
		return App{}, ConfigError{Key: row + " settings", Problem: "secret_file has no place in the app store"}
	}
	a.ID, a.Key, a.Secret, a.Enabled = id, key, secret, enabled
	return a, a.validate(row)
}

// WithStoreApps returns c serving its own apps and those read from the
// app store, checked together (an id or key given twice is refused).
func (c Config) WithStoreApps(apps []App) (Config, error) {
	c.Apps = append(slices.Clone(c.Apps), apps...)
	if len(c.Apps) == 0 {
		return c, ConfigError{Key: "apps", Problem: "neither the config file nor app_store lists an app"}
	}
	return c, c.apps()
}
