package shard

import "testing"

// TestUserFirstAndLast: AddUser reports the user's first connection and
// RemoveUser its last, whatever the order, and neither counts a
// connection twice or a stranger at all.
func TestUserFirstAndLast(t *testing.T) {
	h := New[*sub]()
	k := Key{"a", "u1"}
	s1, s2, s3 := &sub{1}, &sub{2}, &sub{3}
	if !h.AddUser(k, s1) {
		t.Fatal("first connection not first")
	}
	if h.AddUser(k, s1) || h.AddUser(k, s2) || h.AddUser(k, s3) {
		t.Fatal("a later (or repeated) connection reported first")
	}
	if h.RemoveUser(k, &sub{9}) {
		t.Fatal("a stranger's removal reported last")
	}
	if h.RemoveUser(k, s1) || h.RemoveUser(k, s3) {
		t.Fatal("removal with a connection left reported last")
	}
	if h.RemoveUser(k, s3) {
		t.Fatal("a repeated removal reported last")
	}
	if !h.RemoveUser(k, s2) {
		t.Fatal("last connection not last")
	}
	if h.RemoveUser(k, s2) || !h.AddUser(k, s2) {
		t.Fatal("the table must start over after the last connection")
	}
}
