package protocol

import (
	"math"
	"testing"
)

func TestSocketID(t *testing.T) {
	for _, id := range []uint64{0, 1, 1<<32 | 7, math.MaxUint64, 123456789<<32 | 987654321} {
		s := string(AppendSocketID(nil, id))
		got, ok := ParseSocketID(s)
		if !ok || got != id {
			t.Errorf("ParseSocketID(%q) = %d, %v, want %d", s, got, ok, id)
		}
	}
	if s := string(AppendSocketID(nil, 3<<32|9)); s != "3.9" {
		t.Errorf("AppendSocketID = %q, want 3.9", s)
	}
	for _, s := range []string{"", ".", "1.", ".1", "1", "a.1", "1.a", "1.2.3", "4294967296.1", "1.4294967296", "-1.2", "+1.2", " 1.2"} {
		if id, ok := ParseSocketID(s); ok {
			t.Errorf("ParseSocketID(%q) = %d, true; want false", s, id)
		}
	}
}
