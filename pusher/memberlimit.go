package pusher

import (
	"strconv"
	"unicode/utf8"
)

// Presence member limits, as Pusher states them for its own service
// (https://pusher.com/docs/channels/using_channels/presence-channels/:
// at most 128 characters of user id and 1 KB of user object). fanout
// measures the user object as the subscription's channel_data, the JSON
// that carries it. A member over either is
// refused with pusher:subscription_error before it joins, so no other
// member ever receives it; a member exactly at a limit is admitted.

// Defaults of App.MaxPresenceMemberIDLength and App.MaxPresenceMemberSize.
const (
	defaultMaxMemberIDLength = 128
	defaultMaxMemberSize     = 1 << 10
)

// memberLimitError says which limit a presence member breaks, in the
// words of the config key that sets it; "" when it breaks none. userID is
// the member's id (from channel_data or the token's subject) and
// channelData the raw channel_data string of the subscribe ("" when a
// token grant stood in for it).
func (a *App) memberLimitError(userID, channelData string) string {
	if n := utf8.RuneCountInString(userID); n > a.MaxPresenceMemberIDLength {
		return "presence user_id is " + strconv.Itoa(n) + " characters, over max_presence_member_id_length (" +
			strconv.Itoa(a.MaxPresenceMemberIDLength) + ")"
	}
	if n := len(channelData); n > a.MaxPresenceMemberSize {
		return "presence channel_data is " + strconv.Itoa(n) + " bytes, over max_presence_member_size (" +
			strconv.Itoa(a.MaxPresenceMemberSize) + ")"
	}
	return ""
}
