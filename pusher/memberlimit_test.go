package pusher_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// channelDataOf is a presence channel_data of exactly size bytes for id,
// padding user_info.
func channelDataOf(t *testing.T, id string, size int) string {
	t.Helper()
	idJSON, _ := json.Marshal(id)
	head := `{"user_id":` + string(idJSON) + `,"user_info":{"pad":"`
	tail := `"}}`
	n := size - len(head) - len(tail)
	if n < 0 {
		t.Fatalf("size %d too small for id %q", size, id)
	}
	return head + strings.Repeat("x", n) + tail
}

// TestPresenceMemberLimits: a member exactly at the user_id length
// (counted in characters, not bytes) or at the channel_data size is
// admitted; one past either is refused with a subscription_error naming
// the channel and the limit, the connection stays open, and no member
// sees it.
func TestPresenceMemberLimits(t *testing.T) {
	app := e2eApp("memberlimit")
	n := startApps(t, app)
	const ch = "presence-limits"
	watcher := dialAs(t, n, app, "watcher")
	subscribeAuth(watcher, app, ch, `{"user_id":"watcher"}`)
	watcher.Expect("pusher_internal:subscription_succeeded")

	admit := func(user, data string) {
		t.Helper()
		c := dialAs(t, n, app, user)
		subscribeAuth(c, app, ch, data)
		c.Expect("pusher_internal:subscription_succeeded")
		ev := watcher.Expect("pusher_internal:member_added")
		var m struct {
			UserID string `json:"user_id"`
		}
		if json.Unmarshal([]byte(ev.DataString()), &m) != nil || m.UserID != user {
			t.Fatalf("member_added %s, want user %q", ev.Data, user)
		}
	}
	refuse := func(user, data, limit string) {
		t.Helper()
		c := dialAs(t, n, app, "refused")
		subscribeAuth(c, app, ch, data)
		e := expectSubError(t, c, ch)
		if e.Type != "LimitReached" || e.Status != 400 || !strings.Contains(e.Error, limit) {
			t.Fatalf("over %s: %+v", limit, e)
		}
		mustPong(t, c)
	}

	// 128 characters of three bytes each: over 128 bytes, at the limit.
	at := strings.Repeat("é", 64) + strings.Repeat("€", 64)
	admit(at, `{"user_id":`+quote(at)+`}`)
	over := at + "a"
	refuse(over, `{"user_id":`+quote(over)+`}`, "max_presence_member_id_length (128)")
	// The public bug case: a 200-character user_id.
	long := strings.Repeat("u", 200)
	refuse(long, `{"user_id":"`+long+`"}`, "max_presence_member_id_length (128)")

	admit("sized", channelDataOf(t, "sized", 1024))
	refuse("big", channelDataOf(t, "big", 1025), "max_presence_member_size (1024)")
	// The public bug case: 8 KiB of user_info.
	refuse("huge", channelDataOf(t, "huge", 8<<10), "max_presence_member_size (1024)")

	// Nothing of the refused members reached the watcher.
	mustPong(t, watcher)
	if ev, err := watcher.NextErr(200 * time.Millisecond); err == nil {
		t.Fatalf("watcher got %+v after the refusals", ev)
	}
}

// TestPresenceMemberLimitsTokenGrant: a member whose id comes from the
// token's subject (a channels grant, no channel_data) meets the same
// user_id limit.
func TestPresenceMemberLimitsTokenGrant(t *testing.T) {
	app := e2eApp("memberlimitjwt")
	n := startApps(t, app)
	const ch = "presence-granted"
	long := dialAs(t, n, app, strings.Repeat("j", 129), "presence-*")
	long.Send("pusher:subscribe", map[string]string{"channel": ch})
	if e := expectSubError(t, long, ch); !strings.Contains(e.Error, "max_presence_member_id_length (128)") {
		t.Fatalf("token subject over 128: %+v", e)
	}
	at := dialAs(t, n, app, strings.Repeat("j", 128), "presence-*")
	at.Send("pusher:subscribe", map[string]string{"channel": ch})
	at.Expect("pusher_internal:subscription_succeeded")
}

// TestPresenceMemberLimitsConfigured: the limits follow the app's config.
func TestPresenceMemberLimitsConfigured(t *testing.T) {
	app := e2eApp("memberlimitcfg")
	app.MaxPresenceMemberIDLength = 4
	app.MaxPresenceMemberSize = 48
	n := startApps(t, app)
	const ch = "presence-small"
	c := dialAs(t, n, app, "abcd")
	subscribeAuth(c, app, ch, `{"user_id":"abcde"}`)
	if e := expectSubError(t, c, ch); !strings.Contains(e.Error, "max_presence_member_id_length (4)") {
		t.Fatalf("id over 4: %+v", e)
	}
	subscribeAuth(c, app, ch, channelDataOf(t, "abcd", 49))
	if e := expectSubError(t, c, ch); !strings.Contains(e.Error, "max_presence_member_size (48)") {
		t.Fatalf("data over 48: %+v", e)
	}
	subscribeAuth(c, app, ch, channelDataOf(t, "abcd", 48))
	c.Expect("pusher_internal:subscription_succeeded")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
