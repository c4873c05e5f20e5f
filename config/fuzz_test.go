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
