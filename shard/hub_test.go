package shard

import (
	"sync"
	"testing"
	"time"
)

type sub struct{ id int }

func TestSubscribeOccupiesAndVacates(t *testing.T) {
	h := New[*sub]()
	a, b := &sub{1}, &sub{2}
	k := Key{"app", "news"}
	ch, added, occ := h.Subscribe(k, a)
	if !added || !occ || h.Channels() != 1 {
		t.Fatalf("first subscribe: added=%v occupied=%v channels=%d", added, occ, h.Channels())
	}
	if _, added, _ := h.Subscribe(k, a); added {
		t.Fatal("double subscribe added twice")
	}
	if _, added, occ := h.Subscribe(k, b); !added || occ {
		t.Fatal("second subscriber must not occupy")
	}
	if ch.Len() != 2 || h.Lookup(k) != ch {
		t.Fatal("lookup or len wrong")
	}
	if _, vac := h.Unsubscribe(ch, a); vac {
		t.Fatal("vacated with a subscriber left")
	}
	if rm, vac := h.Unsubscribe(ch, b); !rm || !vac {
		t.Fatal("last unsubscribe must vacate")
	}
	if h.Lookup(k) != nil || h.Channels() != 0 {
		t.Fatal("empty channel kept")
	}
	if rm, _ := h.Unsubscribe(ch, b); rm {
		t.Fatal("removed twice")
	}
}

func TestAppsAreSeparate(t *testing.T) {
	h := New[*sub]()
	h.Subscribe(Key{"a", "x"}, &sub{1})
	h.Subscribe(Key{"b", "x"}, &sub{2})
	n := 0
	h.EachChannel("a", func(ch *Channel[*sub]) { n += ch.Len() })
	if n != 1 {
		t.Fatalf("app a sees %d subscribers", n)
	}
}

func TestPresenceCountsConnectionsPerUser(t *testing.T) {
	h := New[*sub]()
	ch, _, _ := h.Subscribe(Key{"a", "presence-room"}, &sub{1})
	if !ch.AddMember("u1", []byte(`{"name":"A"}`)) || ch.AddMember("u1", nil) {
		t.Fatal("first flag wrong")
	}
	if ch.MemberCount() != 1 {
		t.Fatal("member counted twice")
	}
	if ch.RemoveMember("u1") || !ch.RemoveMember("u1") || ch.MemberCount() != 0 {
		t.Fatal("member must leave with its last connection")
	}
}

func TestUsersAndCache(t *testing.T) {
	h := New[*sub]()
	k := Key{"a", "u1"}
	s1, s2 := &sub{1}, &sub{2}
	h.AddUser(k, s1)
	h.AddUser(k, s2)
	if got := h.UserConns(k, nil); len(got) != 2 {
		t.Fatalf("user has %d conns", len(got))
	}
	h.RemoveUser(k, s1)
	h.RemoveUser(k, s2)
	if got := h.UserConns(k, nil); len(got) != 0 {
		t.Fatal("user kept")
	}
	now := time.Unix(1000, 0)
	ck := Key{"a", "cache-x"}
	h.SetCache(ck, []byte("ev"), now, time.Minute)
	if p, _ := h.CacheOrMiss(ck, now.Add(59*time.Second), time.Second); string(p) != "ev" {
		t.Fatalf("cached event within its ttl: %q", p)
	}
	if p, miss := h.CacheOrMiss(ck, now.Add(time.Minute), time.Second); p != nil || !miss {
		t.Fatalf("cached event past its ttl: %q, miss %v", p, miss)
	}
}

func TestConcurrentSubscribeUnsubscribe(t *testing.T) {
	h := New[*sub]()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &sub{g}
			for i := 0; i < 2000; i++ {
				ch, _, _ := h.Subscribe(Key{"a", "hot"}, s)
				ch.Snapshot(nil)
				h.Unsubscribe(ch, s)
			}
		}()
	}
	wg.Wait()
	if h.Channels() != 0 || h.Lookup(Key{"a", "hot"}) != nil {
		t.Fatal("leaked channel")
	}
}

// A user's connections come and go in any order; the table keeps each
// once and forgets the user with its last one.
func TestUserConnectionsAnyOrder(t *testing.T) {
	h := New[*sub]()
	k := Key{"a", "u1"}
	s1, s2, s3 := &sub{1}, &sub{2}, &sub{3}
	conns := func() map[*sub]bool {
		got := map[*sub]bool{}
		for _, s := range h.UserConns(k, nil) {
			if got[s] {
				t.Fatalf("connection %d listed twice", s.id)
			}
			got[s] = true
		}
		return got
	}
	for _, s := range []*sub{s1, s2, s3, s2, s1} { // repeats are no-ops
		h.AddUser(k, s)
	}
	if got := conns(); len(got) != 3 {
		t.Fatalf("user has %d connections, want 3", len(got))
	}
	h.RemoveUser(k, s1) // the first: another one takes its place
	h.RemoveUser(k, s1) // unknown now: no-op
	if got := conns(); len(got) != 2 || !got[s2] || !got[s3] {
		t.Fatalf("after removing the first: %v", got)
	}
	h.RemoveUser(k, s3)
	h.RemoveUser(k, s2)
	sh := h.shard(k)
	if got := conns(); len(got) != 0 || len(sh.users) != 0 || len(sh.more) != 0 {
		t.Fatalf("user kept: %v, %d/%d table entries", got, len(sh.users), len(sh.more))
	}
}
