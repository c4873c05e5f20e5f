// Package config owns fanout's settings: the [Config] tree, its embedded
// defaults, and [Load], which layers, from lowest to highest precedence,
// defaults, a YAML file (--config), FANOUT_* environment variables and
// command-line flags, then validates the result.
//
// Every problem — an unknown YAML key, a value of the wrong type, a bad
// duration, an unreadable file, a duplicate app id or key, an unknown auth
// mode, a negative limit, an empty secret — is reported as a [ConfigError]
// whose Error() is one line naming the key, for example
//
//	config: apps[1].auth.mode: "maybe" is not one of required, optional, off
//
// # Environment
//
// Each flag has an environment variable: the flag name upper-cased, dashes
// turned into underscores, prefixed FANOUT_. --max-message-size is
// FANOUT_MAX_MESSAGE_SIZE, --redis-url is FANOUT_REDIS_URL, --config is
// FANOUT_CONFIG. --print-config has none. Booleans accept what
// strconv.ParseBool accepts. Any other FANOUT_ variable stops start-up
// with a ConfigError naming it, as an unknown YAML key does, except the
// few the project's own tools and tests read (listed in env.go).
//
// # Apps
//
// Apps listed in the file get the per-app defaults of [DefaultApp]
// (auth.mode required). When the file lists no apps, the single app is
// built from --app-id, --app-key, --app-secret and --auth-mode, whose
// defaults are app-id, app-key, app-secret and optional: the development
// app that [Config.UsesDevCredentials] warns about. Those four flags (and
// their variables) are refused when the file lists apps.
//
// # Concurrency
//
// Config is a plain value: Load, Default and the methods on Config keep no
// state between calls and may be called from any goroutine. A Config
// shared between goroutines must not be modified while others read it.
package config
