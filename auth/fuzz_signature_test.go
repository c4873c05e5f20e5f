package auth

import (
	"strings"
	"testing"
)

// sameSignature is what a keyed signature check must accept: the exact
// key, then the hex digest in either case.
func sameSignature(got, want, key string) bool {
	p := key + ":"
	return strings.HasPrefix(got, p) && strings.EqualFold(got[len(p):], want[len(p):])
}

// FuzzVerifyChannelAndUser feeds arbitrary auth strings to the channel and
// signin checks: they never panic, accept exactly the right signature and
// nothing else.
func FuzzVerifyChannelAndUser(f *testing.F) {
	f.Add("123.456", "private-a", "", "app-key:00")
	f.Add("1.2", "presence-r", `{"user_id":"u"}`, "app-key:zz:yy")
	f.Add("", "", "", ":")
	f.Fuzz(func(t *testing.T, socketID, channel, data, got string) {
		const key, secret = "app-key", "app-secret"
		want := SignChannel(key, secret, socketID, channel, data)
		// a presence subscription must carry channel_data
		valid := !(strings.HasPrefix(channel, "presence-") && data == "")
		if VerifyChannel(key, secret, socketID, channel, data, got) != (valid && sameSignature(got, want, key)) {
			t.Fatalf("VerifyChannel(%q) disagrees with the signature %q", got, want)
		}
		if VerifyChannel(key, secret, socketID, channel, data, want) != valid {
			t.Fatalf("own channel signature: got %v, want %v", !valid, valid)
		}
		wantUser := SignUser(key, secret, socketID, data)
		if VerifyUser(key, secret, socketID, data, got) != sameSignature(got, wantUser, key) {
			t.Fatalf("VerifyUser(%q) disagrees with the signature %q", got, wantUser)
		}
	})
}
