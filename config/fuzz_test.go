package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeFile feeds arbitrary documents to the file decoder: it must
// never panic, and every failure must be a one-line ConfigError.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte("server: {addr: 127.0.0.1:1}\n"))
	f.Add([]byte("apps:\n  - {id: a, key: k, secret: s, auth: {mode: off}}\n"))
	f.Add([]byte("heartbeat:\n  pong_timeout: 3x\n"))
	f.Add([]byte("server:\n  - a\n  bogus: [\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("server: {max_connections: ${N:-5}, addr: '${H}:1'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		err := decodeFile(&c, data)
		if err == nil {
			_ = c.Validate()
			return
		}
		var ce ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("%T is not a ConfigError: %v", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
	})
}

// FuzzExpandValue: ${...} expansion never panics; with every variable
// set it never fails, changes nothing in a value without "${", and is one
// pass: it never leaves more "${" than it was given (a value is not
// expanded again).
func FuzzExpandValue(f *testing.F) {
	for _, s := range []string{"${A}", "${A:-d}", "$${A}", "${use a long random secret}", "x${A}y${B:-}z", "${", "${A:-${B}}", "$$$${A}", "${${A}}"} {
		f.Add(s)
	}
	set := func(string) (string, bool) { return "v", true }
	f.Fuzz(func(t *testing.T, s string) {
		var refs []string
		out, err := expandValue(s, set, &refs)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !strings.Contains(s, "${") && out != s {
			t.Fatalf("%q became %q", s, out)
		}
		if strings.Count(out, "${") > strings.Count(s, "${") {
			t.Fatalf("%q -> %q: more ${ than given", s, out)
		}
	})
}
