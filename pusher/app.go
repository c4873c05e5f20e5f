package pusher

import (
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/auth"
)

// Credentials are what the HTTP API needs of an app to check a request
// (Server.AppCredentials).
type Credentials struct {
	Key, Secret string
	// PreviousSecret is accepted besides Secret during the grace after a
	// rotation (Server.ReplaceApps); "" otherwise.
	PreviousSecret string
	// Disabled apps are refused with 403 once the signature checks out.
	Disabled bool
	// MaxEventData bounds a published event's data, in bytes.
	MaxEventData int
}

// AuthMode says whether an app's connections must authenticate.
type AuthMode uint8

const (
	// AuthRequired (the zero value): a connection must present a valid
	// token on the upgrade or complete pusher:signin within the grace
	// period, else it is closed with 4009.
	AuthRequired AuthMode = iota
	// AuthOptional: tokens and signin are honoured; anonymous connections
	// may stay and use public channels.
	AuthOptional
	// AuthOff: no connection authentication (channel auth still applies).
	AuthOff
)

// ParseAuthMode reads "required", "optional" or "off".
func ParseAuthMode(s string) (AuthMode, bool) {
	switch s {
	case "required", "":
		return AuthRequired, true
	case "optional":
		return AuthOptional, true
	case "off":
		return AuthOff, true
	}
	return 0, false
}

func (m AuthMode) String() string {
	return [...]string{"required", "optional", "off"}[m]
}

// App is one tenant: its credentials, policies and limits. Zero values of
// the limits mean the documented defaults given on each field.
type App struct {
	ID, Key, Secret string
	// Disabled apps refuse connections with 4003 and publishes with 403.
	Disabled bool
	Auth     AuthMode
	// SigninTimeout is the grace for pusher:signin in AuthRequired mode;
	// 0 means 30 s.
	SigninTimeout time.Duration
	// PublicBeforeSignin lets an unauthenticated connection subscribe to
	// public channels during the grace period.
	PublicBeforeSignin bool
	// TokenCookie is the cookie that may carry the upgrade token; "" means
	// "fanout_token".
	TokenCookie string
	// JWT verifies upgrade tokens; nil means HS256/384/512 with Secret.
	JWT *auth.Verifier
	// Origins is the Origin allow-list (empty allows all).
	Origins auth.OriginPolicy
	// ClientEvents enables client-* events on private and presence
	// channels.
	ClientEvents bool
	// Deflate enables permessage-deflate when the client offers it.
	Deflate bool
	// MaxConnections caps the app's connections on this node; 0 is
	// unlimited.
	MaxConnections int
	// MaxChannels is the channels per connection; 0 means 100.
	MaxChannels int
	// MaxEventData is the largest event data in bytes; 0 means 10 KiB.
	MaxEventData int
	// ClientEventRate is client events per second per connection; 0 means
	// 10.
	ClientEventRate int
	// MaxPresenceMembers per presence channel; 0 means 100.
	MaxPresenceMembers int
	// MaxPresenceMemberIDLength bounds a presence member's user_id, in
	// characters (Unicode code points); 0 means 128, Pusher's limit.
	MaxPresenceMemberIDLength int
	// MaxPresenceMemberSize bounds a presence subscription's
	// channel_data (the member's user_id and user_info as JSON), in
	// bytes; 0 means 1 KiB, Pusher's limit on the user object.
	MaxPresenceMemberSize int
	// MaxQueuedBytes bounds a connection's unsent bytes; beyond it the
	// connection is closed with 4100 (slow consumer). 0 means 1 MiB.
	MaxQueuedBytes int
	// History names the channels that keep their last events, for
	// recovery on subscribe and the HTTP API's history endpoint; the first
	// matching rule applies. Empty means none.
	History []HistoryRule
	// SubscriptionCount sends pusher_internal:subscription_count to the
	// subscribers of the app's channels (but presence and user channels)
	// and the subscription_count webhook when their count changes; see
	// subcount.go. Default false, as on Pusher.
	SubscriptionCount bool
	// SubscriptionCountInterval is the least time between two
	// subscription_count events of one channel; 0 means 1 s.
	SubscriptionCountInterval time.Duration
	// WatchlistEvents tracks which users are online, cluster-wide, and
	// sends watchlist events to connections that signed in with a
	// watchlist; see watchlist.go. Default false.
	WatchlistEvents bool
	// Webhook, when set, receives channel and member events.
	Webhook func(WebhookEvent)
	// WebhookGrace holds member_removed and channel_vacated for this
	// long; a return of the user or channel within it, on any node,
	// cancels them and the member_added or channel_occupied of the
	// return, as Pusher does. 0 sends them at once.
	WebhookGrace time.Duration

	// conns and secrets outlive a reload: ReplaceApps hands them from an
	// app's old version to its new one (apps_reload.go).
	conns   *atomic.Int64
	secrets *secretRing
	// unsigned counts connections closed at the end of the signin grace
	// since the last summary (signin_log.go); shared by an app's versions
	// like conns.
	unsigned *atomic.Int64
}

// WebhookEvent is one lifecycle event for an app's webhook.
type WebhookEvent struct {
	Name, Channel, UserID, Event, Data, SocketID string
	// SubscriptionCount is set on subscription_count events only.
	SubscriptionCount *int
}

func (a *App) withDefaults() {
	if a.conns == nil {
		a.conns = new(atomic.Int64)
	}
	if a.unsigned == nil {
		a.unsigned = new(atomic.Int64)
	}
	if a.secrets == nil {
		a.secrets = newSecretRing(a.Secret)
	}
	if a.SigninTimeout <= 0 {
		a.SigninTimeout = 30 * time.Second
	}
	if a.TokenCookie == "" {
		a.TokenCookie = auth.DefaultTokenCookie
	}
	if a.MaxChannels <= 0 {
		a.MaxChannels = 100
	}
	if a.MaxEventData <= 0 {
		a.MaxEventData = 10 << 10
	}
	if a.ClientEventRate <= 0 {
		a.ClientEventRate = 10
	}
	if a.MaxPresenceMembers <= 0 {
		a.MaxPresenceMembers = 100
	}
	if a.MaxPresenceMemberIDLength <= 0 {
		a.MaxPresenceMemberIDLength = defaultMaxMemberIDLength
	}
	if a.MaxPresenceMemberSize <= 0 {
		a.MaxPresenceMemberSize = defaultMaxMemberSize
	}
	if a.SubscriptionCountInterval <= 0 {
		a.SubscriptionCountInterval = time.Second
	}
	if a.MaxQueuedBytes <= 0 {
		a.MaxQueuedBytes = 1 << 20
	}
}

// Conns returns the app's open connections on this node.
func (a *App) Conns() int { return int(a.conns.Load()) }

func (a *App) webhook(e WebhookEvent) {
	if a.Webhook != nil {
		a.Webhook(e)
	}
}
