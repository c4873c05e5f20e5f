package config

import "time"

// The credentials of the built-in development app.
const (
	DevAppID     = "app-id"
	DevAppKey    = "app-key"
	DevAppSecret = "app-secret"
)

// DefaultWebhookGrace is webhooks.grace's default: Pusher's delay of
// member_removed and channel_vacated.
const DefaultWebhookGrace = 3 * time.Second

// MaxWebhookGrace bounds webhooks.grace: a departure's webhook that late
// is no longer the news Pusher's delay is about.
const MaxWebhookGrace = time.Minute

// DefaultSecretGrace is the default of reload.secret_grace.
const DefaultSecretGrace = 5 * time.Minute

// WebhookEvents are the event names fanout can send, the default of
// webhooks.events.
func WebhookEvents() []string {
	return []string{"channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event", "cache_miss", "subscription_count"}
}

// Default returns the embedded defaults: every setting at its documented
// default and the single development app (auth mode optional).
func Default() Config {
	return Config{
		Limits: defaultLimits(),
		Server: Server{
			Addr:           "127.0.0.1:6001",
			MetricsAddr:    "127.0.0.1:9601",
			LogLevel:       "info",
			LogFormat:      "text",
			MaxMessageSize: 65536,
			UpgradeTimeout: 5 * time.Second,
			IOUring:        true,
			MaxRequestSize: 8192,
			TLS:            TLS{KTLS: "auto"},
		},
		Heartbeat: Heartbeat{ActivityTimeout: 120 * time.Second, PongTimeout: 30 * time.Second},
		Shutdown:  Shutdown{Drain: 10 * time.Second},
		Redis:     Redis{Prefix: "fanout", NodeTTL: 15 * time.Second},
		Apps:      []App{devApp()},
		Reload:    Reload{SecretGrace: DefaultSecretGrace},
		AppStore:  AppStore{Table: "fanout_apps", Refresh: 30 * time.Second},

		Idempotency: defaultIdempotency(),
	}
}

func devApp() App {
	a := DefaultApp()
	a.ID, a.Key, a.Secret = DevAppID, DevAppKey, DevAppSecret
	a.Auth.Mode = AuthOptional
	return a
}

// DefaultApp returns the defaults an app listed in a config file starts
// from (no credentials, auth mode required).
func DefaultApp() App {
	return App{
		Enabled: true,
		Auth: Auth{
			Mode:          AuthRequired,
			SigninTimeout: 30 * time.Second,
			Cookie:        "fanout_token",
		},
		AllowedOrigins:           []string{},
		MaxChannelsPerConnection: 100,
		MaxEventData:             10240,
		ClientEventRate:          10,
		MaxQueuedBytes:           1 << 20,
		MaxPresenceMembers:       100,

		MaxPresenceMemberIDLength: 128,
		MaxPresenceMemberSize:     1024,
		SubscriptionCountInterval: time.Second,
		Webhooks: Webhooks{
			Events:     WebhookEvents(),
			Endpoints:  []WebhookEndpoint{},
			BatchMax:   50,
			BatchWait:  time.Second,
			MaxQueue:   10000,
			MaxRetries: 5,
			Grace:      DefaultWebhookGrace,
		},
	}
}
