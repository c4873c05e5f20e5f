package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// TestPresenceResyncRetried: a node rewrites its presence share after
// Redis lost it (FLUSHALL here), and Redis refuses that first attempt
// (the node's ACL user may not touch presence keys for a while, as a
// cluster client routing to a dead master would fail it). Once Redis
// takes presence writes again, the node's member is back without any
// join or leave happening.
func TestPresenceResyncRetried(t *testing.T) {
	srv := startRedis(t)
	if r, err := srv.do("ACL", "SETUSER", "fan", "on", ">pw", "~*", "&*", "+@all"); err != nil || r != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", r, err)
	}
	a := startNode(t, fmt.Sprintf("redis://fan:pw@%s", srv.Addr()), false, 0)
	b := startNode(t, srv.URL(), false, 0)
	ch := "presence-resync"
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	joinPresence(t, a, ca, ch, "alice")
	want := `{"users":[{"id":"alice"}]}`
	eventually(t, 5*time.Second, "alice listed", func() bool { return strings.TrimSpace(users(t, b, ch)) == want })

	// Every key but the presence ones (t:p:...) stays writable for A.
	if r, err := srv.do("ACL", "SETUSER", "fan", "resetkeys", "~t:nodes", "~t:ns:*", "~t:np:*", "~t:o:*",
		"~t:no:*", "~t:nl:*", "~{t:c:*"); err != nil || r != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", r, err)
	}
	_, _ = srv.do("ACL", "LOG", "RESET")
	if r, err := srv.do("FLUSHALL"); err != nil || r != "+OK" {
		t.Fatalf("FLUSHALL: %q %v", r, err)
	}
	eventually(t, 10*time.Second, "A's presence rewrite refused", func() bool {
		r, _ := srv.do("ACL", "LOG")
		return r != "*0"
	})
	if got := strings.TrimSpace(users(t, b, ch)); got == want {
		t.Fatalf("alice listed although A could not write presence: %s", got)
	}
	if r, err := srv.do("ACL", "SETUSER", "fan", "allkeys"); err != nil || r != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", r, err)
	}
	eventually(t, 15*time.Second, "alice listed again once A could write presence", func() bool {
		return strings.TrimSpace(users(t, b, ch)) == want
	})
}
