package protocol

import "strings"

// MaxChannelName is the longest channel name in bytes, as Pusher limits it
// (https://pusher.com/docs/channels/using_channels/channels/#channel-naming-conventions).
const MaxChannelName = 164

// MaxUserID bounds the user id in a server-to-user channel's name, in bytes.
const MaxUserID = 200

// Channel name prefixes that decide a channel's kind
// (https://pusher.com/docs/channels/using_channels/channels/). They are
// matched here only: everything else asks [KindOf].
const (
	privatePrefix   = "private-"
	encryptedPrefix = "private-encrypted-"
	presencePrefix  = "presence-"
	cachePrefix     = "cache-"
	// UserChannelPrefix starts the channel pusher-js subscribes to after
	// a successful pusher:signin ("#server-to-user-" + the signed-in user
	// id), and the channel the Pusher server SDKs' sendToUser publishes to
	// (https://pusher.com/docs/channels/server_api/authenticating-users/).
	UserChannelPrefix = "#server-to-user-"
)

// ChannelKind is what a channel's name makes it: one base kind (public,
// private, private-encrypted, presence or server-to-user), possibly a
// cache channel. The zero value is a public, non-cache channel. Compare
// base kinds with [ChannelKind.Base]; ask the rules through the methods.
type ChannelKind uint8

// Base channel kinds, and the cache flag that may be set beside the first
// four (KindPrivate|KindCache is a private-cache- channel).
const (
	// KindPublic channels ("my-channel") need no authorization.
	KindPublic ChannelKind = iota
	// KindPrivate channels ("private-...") need a signature of the socket
	// id and channel name, and allow client events.
	KindPrivate
	// KindEncrypted channels ("private-encrypted-...") are private channels
	// whose event data the server cannot read; they allow no client events
	// (https://pusher.com/docs/channels/using_channels/encrypted-channels/).
	KindEncrypted
	// KindPresence channels ("presence-...") are private channels that
	// also keep a member list from the subscribers' channel_data.
	KindPresence
	// KindUser is the server-to-user channel ("#server-to-user-<user id>")
	// of a signed-in user: only that user's connections join it, and it
	// is the server's business, not the app's: the HTTP API does not list
	// it and no channel webhook covers it.
	KindUser

	kindBase ChannelKind = 0x0f

	// KindCache marks a cache channel ("cache-", "private-cache-",
	// "private-encrypted-cache-", "presence-cache-"): it remembers its
	// last event for new subscribers
	// (https://pusher.com/docs/channels/using_channels/cache-channels/).
	KindCache ChannelKind = 0x10
)

// KindOf classifies a channel by its name's prefix. It does not check the
// name: see [ValidChannelName] and [ValidUserChannel].
func KindOf(name string) ChannelKind {
	var k ChannelKind
	rest := name
	switch {
	case strings.HasPrefix(name, encryptedPrefix):
		k, rest = KindEncrypted, name[len(encryptedPrefix):]
	case strings.HasPrefix(name, privatePrefix):
		k, rest = KindPrivate, name[len(privatePrefix):]
	case strings.HasPrefix(name, presencePrefix):
		k, rest = KindPresence, name[len(presencePrefix):]
	case strings.HasPrefix(name, UserChannelPrefix):
		return KindUser
	}
	if strings.HasPrefix(rest, cachePrefix) {
		k |= KindCache
	}
	return k
}

// Base is k without the cache flag: one of KindPublic, KindPrivate,
// KindEncrypted, KindPresence, KindUser.
func (k ChannelKind) Base() ChannelKind { return k & kindBase }

// NeedsAuth reports whether subscribing needs an authorization (a channel
// auth signature, or a grant in the connection's token): private,
// private-encrypted and presence channels and their cache variants.
// Server-to-user channels need a signed-in connection instead
// (https://pusher.com/docs/channels/using_channels/channels/).
func (k ChannelKind) NeedsAuth() bool {
	switch k.Base() {
	case KindPrivate, KindEncrypted, KindPresence:
		return true
	}
	return false
}

// ClientEvents reports whether clients may trigger client- events on the
// channel: private and presence channels only, not encrypted ones
// (https://pusher.com/docs/channels/using_channels/events/).
func (k ChannelKind) ClientEvents() bool {
	b := k.Base()
	return b == KindPrivate || b == KindPresence
}

// Presence reports a presence channel (presence- or presence-cache-),
// which keeps a member list.
func (k ChannelKind) Presence() bool { return k.Base() == KindPresence }

// Encrypted reports an end-to-end encrypted channel (private-encrypted-).
func (k ChannelKind) Encrypted() bool { return k.Base() == KindEncrypted }

// Cache reports a cache channel, which replays its last event (or sends
// pusher:cache_miss) to each new subscriber.
func (k ChannelKind) Cache() bool { return k&KindCache != 0 }

// User reports a server-to-user channel.
func (k ChannelKind) User() bool { return k.Base() == KindUser }

// Listed reports whether the channel is the app's: listed by the HTTP API's
// channel queries and covered by channel webhooks (occupied, vacated,
// member and client events). Server-to-user channels are not.
func (k ChannelKind) Listed() bool { return !k.User() }

// String names the kind as the Pusher docs do: "public", "private",
// "private-encrypted", "presence", "server-to-user", with " cache" after
// a cache channel's.
func (k ChannelKind) String() string {
	var s string
	switch k.Base() {
	case KindPublic:
		s = "public"
	case KindPrivate:
		s = "private"
	case KindEncrypted:
		s = "private-encrypted"
	case KindPresence:
		s = "presence"
	case KindUser:
		s = "server-to-user"
	default:
		return "invalid"
	}
	if k.Cache() {
		s += " cache"
	}
	return s
}

// ValidChannelName reports whether a client may name this channel: it
// matches ^[-a-zA-Z0-9_=@,.;]+$ and is at most MaxChannelName bytes
// (https://pusher.com/docs/channels/using_channels/channels/#channel-naming-conventions).
// Server-to-user channels are not valid names here: see [ValidUserChannel].
func ValidChannelName(name string) bool {
	if len(name) == 0 || len(name) > MaxChannelName {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '-', b == '_', b == '=', b == '@', b == ',', b == '.', b == ';':
		default:
			return false
		}
	}
	return true
}

// ValidUserChannel reports whether name is a valid server-to-user channel,
// "#server-to-user-<id>" with an id of 1 to MaxUserID bytes holding no NUL,
// CR or LF. The HTTP API accepts these names besides ValidChannelName ones.
func ValidUserChannel(name string) bool {
	_, ok := UserOf(name)
	return ok
}

// UserOf returns the user id of a valid server-to-user channel; ok is
// false for any other name.
func UserOf(name string) (id string, ok bool) {
	id, ok = strings.CutPrefix(name, UserChannelPrefix)
	if !ok || id == "" || len(id) > MaxUserID || strings.ContainsAny(id, "\x00\n\r") {
		return "", false
	}
	return id, true
}

// UserChannel is the server-to-user channel of user id.
func UserChannel(id string) string { return UserChannelPrefix + id }
