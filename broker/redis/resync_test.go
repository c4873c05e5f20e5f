package redis_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// restrictedRedis is a Redis server with an ACL user "fan" (URL) that may
// do anything until restrict.
type restrictedRedis struct {
	*redisServer
	URL string
}

func startRestrictedRedis(t *testing.T) restrictedRedis {
	t.Helper()
	srv := startRedis(t)
	if r, err := srv.do("ACL", "SETUSER", "fan", "on", ">pw", "~*", "&*", "+@all"); err != nil || r != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", r, err)
	}
	return restrictedRedis{srv, fmt.Sprintf("redis://fan:pw@%s", srv.Addr())}
}

// lose makes Redis forget everything (FLUSHALL) while user fan may write
// only the key patterns writable, and waits until Redis refused one of
// fan's writes: the node's first resync attempt failed.
func (r restrictedRedis) lose(t *testing.T, writable ...string) {
	t.Helper()
	args := []string{"ACL", "SETUSER", "fan", "resetkeys"}
	for _, w := range writable {
		args = append(args, "~"+w)
	}
	if got, err := r.do(args...); err != nil || got != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", got, err)
	}
	_, _ = r.do("ACL", "LOG", "RESET")
	if got, err := r.do("FLUSHALL"); err != nil || got != "+OK" {
		t.Fatalf("FLUSHALL: %q %v", got, err)
	}
	eventually(t, 10*time.Second, "the node's resync refused", func() bool {
		got, _ := r.do("ACL", "LOG")
		return got != "*0"
	})
}

// allow lets user fan write every key again.
func (r restrictedRedis) allow(t *testing.T) {
	t.Helper()
	if got, err := r.do("ACL", "SETUSER", "fan", "allkeys"); err != nil || got != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", got, err)
	}
}

// TestPresenceResyncRetried: a node rewrites its presence share after
// Redis lost it (FLUSHALL here), and Redis refuses that first attempt
// (the node's ACL user may not touch presence keys for a while, as a
// cluster client routing to a dead master would fail it). Once Redis
// takes presence writes again, the node's member is back without any
// join or leave happening.
func TestPresenceResyncRetried(t *testing.T) {
	srv := startRestrictedRedis(t)
	a := startNode(t, srv.URL, false, 0)
	b := startNode(t, srv.redisServer.URL(), false, 0)
	ch := "presence-resync"
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	joinPresence(t, a, ca, ch, "alice")
	want := `{"users":[{"id":"alice"}]}`
	eventually(t, 5*time.Second, "alice listed", func() bool { return strings.TrimSpace(users(t, b, ch)) == want })

	// Every key but the presence ones (t:p:...) stays writable for A.
	srv.lose(t, "t:nodes", "t:ns:*", "t:np:*", "t:o:*", "t:no:*", "t:nl:*", "{t:c:*")
	if got := strings.TrimSpace(users(t, b, ch)); got == want {
		t.Fatalf("alice listed although A could not write presence: %s", got)
	}
	srv.allow(t)
	eventually(t, 15*time.Second, "alice listed again once A could write presence", func() bool {
		return strings.TrimSpace(users(t, b, ch)) == want
	})
}

// TestOccupancyResyncRetried: as for presence, a node that Redis forgot
// marks its occupied channels again, retrying until Redis takes it. The
// effect it prevents: with the node missing from the channel's set,
// another node's last subscriber leaving would send channel_vacated
// while this node still has subscribers.
func TestOccupancyResyncRetried(t *testing.T) {
	srv := startRestrictedRedis(t)
	hook := httptest.NewServer(&hookLog{counts: map[webhook.Event]int{}})
	t.Cleanup(hook.Close)
	a := startHookNodeAt(t, srv.URL, hook.URL, 0)
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	ca.Subscribe("room")
	index := "t:no:" + a.b.NodeID()
	marked := func() bool {
		got, err := srv.do("SCARD", index)
		return err == nil && got == ":1"
	}
	eventually(t, 5*time.Second, "room marked occupied by A", marked)

	// Every key but the occupancy ones (t:o:..., t:no:...) stays writable.
	srv.lose(t, "t:nodes", "t:ns:*", "t:np:*", "t:p:*", "t:nl:*", "{t:c:*")
	if marked() {
		t.Fatal("room marked although A could not write occupancy")
	}
	srv.allow(t)
	eventually(t, 15*time.Second, "room marked again once A could write occupancy", marked)
}
