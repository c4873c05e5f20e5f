package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/url"
	"sync"
	"testing"
)

// Pooled HMACs are reset between uses: every signature made through the
// pools, from many goroutines under several secrets at once, equals one
// made with a freshly keyed HMAC.
func TestPooledMACsMatchFresh(t *testing.T) {
	fresh := func(secret, msg string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(msg))
		return string(m.Sum(nil))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				secret := fmt.Sprintf("secret-%d", (g+i)%3)
				sock, ch := fmt.Sprintf("%d.%d", g, i), fmt.Sprintf("private-%d", i)
				if got, want := string(channelMAC(secret, sock, ch, "")), fresh(secret, sock+":"+ch); got != want {
					t.Errorf("channel signature %d/%d differs from a fresh HMAC's", g, i)
					return
				}
				if got, want := string(userMAC(secret, sock, "{}")), fresh(secret, sock+"::user::{}"); got != want {
					t.Errorf("user signature %d/%d differs from a fresh HMAC's", g, i)
					return
				}
				q := url.Values{"auth_key": {"k"}, "n": {fmt.Sprint(i)}}
				if got, want := string(requestMAC("post", "/apps/1/events", q, secret)), fresh(secret, "POST\n/apps/1/events\nauth_key=k&n="+fmt.Sprint(i)); got != want {
					t.Errorf("request signature %d/%d differs from a fresh HMAC's", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Past maxKeyedSecrets, secrets are signed with unpooled HMACs, still
// correctly, and the pools stop growing.
func TestKeyedMACPoolsBounded(t *testing.T) {
	for i := range maxKeyedSecrets + 10 {
		secret := fmt.Sprintf("bound-%d", i)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("a:b"))
		if got := channelMAC(secret, "a", "b", ""); !hmac.Equal(got, m.Sum(nil)) {
			t.Fatalf("secret %d: wrong signature", i)
		}
	}
	if n := keyedMACs.n.Load(); n > maxKeyedSecrets {
		t.Fatalf("%d secrets keep a pool, bound %d", n, maxKeyedSecrets)
	}
}
