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
// few the project's own tools and tests read (listed in env.go), the
// FANOUT_APP_<ID>_SECRET of each app ([AppSecretVariable]), those the
// file references as ${NAME}, and the shapes Kubernetes services and
// Docker links inject (FANOUT_PORT=tcp://..., FANOUT_PORT_*,
// FANOUT_SERVICE_*, FANOUT_NAME, FANOUT_ENV_*), which are left alone and
// listed in [Config.IgnoredVariables].
//
// # Secrets
//
// A value in the file may reference environment variables, ${NAME} or
// ${NAME:-default}, expanded before the value is typed (expand.go).
// apps[].secret_file, apps[].auth.jwt.secret_file, redis.password_file
// and redis.sentinel.password_file read a secret from a file
// (secrets.go).
// [Config.Warnings] lists secrets shorter than 16 bytes or still holding
// a placeholder; [Config.Masked] hides every secret.
//
// # Apps
//
// Apps listed in the file get the per-app defaults of [DefaultApp]
// (auth.mode required). When the file lists no apps, the single app is
// built from --app-id, --app-key, --app-secret and --auth-mode, whose
// defaults are app-id, app-key, app-secret and optional: the development
// app that [Config.UsesDevCredentials] warns about. When the file lists
// apps, --app-id, --app-key and --auth-mode (and their variables) are
// refused; --app-secret and FANOUT_APP_SECRET set the secret of the file's
// app when it lists exactly one, and are refused otherwise.
// With app_store.postgres set, apps also come from a table (package
// appstore; [StoreApp] and [Config.WithStoreApps] check them as file
// apps), and a file without apps builds no development app.
//
// # Concurrency
//
// Config is a plain value: Load, Default and the methods on Config keep no
// state between calls and may be called from any goroutine. A Config
// shared between goroutines must not be modified while others read it.
package config
