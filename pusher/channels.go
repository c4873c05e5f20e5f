package pusher

import "strings"

// MaxChannelName is the longest channel name, as Pusher limits it
// (https://pusher.com/docs/channels/using_channels/channels/#channel-naming-conventions).
const MaxChannelName = 164

// channelKind classifies a channel by its name's prefix.
type channelKind uint8

const (
	kindPublic channelKind = iota
	kindPrivate
	kindPresence
	kindEncrypted
)

func kindOf(name string) channelKind {
	switch {
	case strings.HasPrefix(name, "private-encrypted-"):
		return kindEncrypted
	case strings.HasPrefix(name, "private-"):
		return kindPrivate
	case strings.HasPrefix(name, "presence-"):
		return kindPresence
	}
	return kindPublic
}

// isCache reports a cache channel: cache-, private-cache-,
// private-encrypted-cache-, presence-cache-.
func isCache(name string) bool {
	for _, p := range [...]string{"cache-", "private-cache-", "private-encrypted-cache-", "presence-cache-"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ValidChannelName reports whether name matches ^[-a-zA-Z0-9_=@,.;]+$ and
// is at most MaxChannelName bytes.
func ValidChannelName(name string) bool {
	if len(name) == 0 || len(name) > MaxChannelName {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("-_=@,.;", b) >= 0:
		default:
			return false
		}
	}
	return true
}
