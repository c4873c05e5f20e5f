package broker

import "testing"

// TestLocalHeldDepartures: a held departure is settled once; a return
// before the settle cancels it (and says so once); a later departure of
// the same user is not taken by the settle of an earlier one.
func TestLocalHeldDepartures(t *testing.T) {
	l := &Local{}
	var left Transition
	l.LeavePresence("a", "presence-x", "u", true, true, func(t Transition) { left = t })
	if !left.Cluster || left.Held.IsZero() {
		t.Fatalf("last leave with hold: %+v, want a held departure", left)
	}
	var back Transition
	l.JoinPresence("a", "presence-x", Member{ID: "u"}, true, func(t Transition, _ []Member) { back = t })
	if !back.Cluster || !back.Returned {
		t.Fatalf("return within the grace: %+v, want Cluster and Returned", back)
	}
	if l.Settle(left.Held) {
		t.Fatal("settle after a return said due")
	}
	var again Transition
	l.LeavePresence("a", "presence-x", "u", true, true, func(t Transition) { again = t })
	if l.Settle(left.Held) {
		t.Fatal("the first departure's settle took the second one")
	}
	if !l.Settle(again.Held) || l.Settle(again.Held) {
		t.Fatal("the second departure must settle due exactly once")
	}
	l.JoinPresence("a", "presence-x", Member{ID: "u"}, true, func(t Transition, _ []Member) { back = t })
	if back.Returned {
		t.Fatal("a join after the settle is news, not a return")
	}

	var vac Transition
	l.VacateChannel("a", "news", true, func(t Transition) { vac = t })
	var occ Transition
	l.OccupyChannel("a", "news", func(t Transition) { occ = t })
	if !occ.Returned || l.Settle(vac.Held) {
		t.Fatalf("channel back within the grace: %+v, settle must not be due", occ)
	}
	l.VacateChannel("a", "news", false, func(t Transition) { vac = t })
	if !vac.Held.IsZero() {
		t.Fatalf("vacate without hold held %+v", vac.Held)
	}
}
