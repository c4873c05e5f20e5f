package broker

import (
	"testing"
)

// FuzzParsePosition: any text either fails or reads back to itself
// through String.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"ab12:41", "e:0", ":1", "a:b:3", "x:-1", "x:18446744073709551615", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParsePosition(s)
		if !ok {
			return
		}
		q, ok := ParsePosition(p.String())
		if !ok || q != p {
			t.Fatalf("%q read as %+v, which reads back as %+v %v", s, p, q, ok)
		}
	})
}
