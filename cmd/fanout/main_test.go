package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUnknownConfigKeyExitsTwoNamingIt(t *testing.T) {
	f := filepath.Join(t.TempDir(), "fanout.yaml")
	os.WriteFile(f, []byte("server:\n  addr: 127.0.0.1:0\n  adress: typo\n"), 0o600)
	code, _, stderr := runCmd("serve", "--config", f)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr, "server.adress") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("stderr %q should be one line naming server.adress", stderr)
	}
}

func TestBadFlagValueExitsTwo(t *testing.T) {
	code, _, stderr := runCmd("serve", "--auth-mode", "maybe")
	if code != 2 || !strings.Contains(stderr, "auth") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestPrintConfigMasksSecrets(t *testing.T) {
	code, out, _ := runCmd("serve", "--print-config", "--app-secret", "s3cr3t-value")
	if code != 0 || strings.Contains(out, "s3cr3t-value") || !strings.Contains(out, "addr: 127.0.0.1:6001") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestTokenMintsAVerifiableJWT(t *testing.T) {
	code, out, stderr := runCmd("token", "--app", "app-id", "--sub", "user-42", "--channels", "private-a.*,presence-b", "--ttl", "10m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	v, err := auth.NewVerifier(auth.JWTOptions{HMACSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(strings.TrimSpace(out), time.Now())
	if err != nil {
		t.Fatalf("minted token refused: %v", err)
	}
	if claims.Subject != "user-42" || len(claims.Channels) != 2 || time.Until(claims.ExpiresAt) > 11*time.Minute {
		t.Fatalf("claims %+v", claims)
	}
	if code, _, _ := runCmd("token", "--app", "app-id"); code != 2 {
		t.Fatal("token without --sub must exit 2")
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	if code, out, _ := runCmd("version"); code != 0 || !strings.HasPrefix(out, "fanout ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, _ := runCmd("frobnicate"); code != 2 {
		t.Fatal("unknown command must exit 2")
	}
}

func TestUnreachableRedisClusterExitsOneBadRedisURLTwo(t *testing.T) {
	code, _, stderr := runCmd("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--redis-url", "redis://127.0.0.1:1", "--redis-cluster")
	if code != 1 || !strings.Contains(stderr, "redis") {
		t.Fatalf("unreachable Redis Cluster: exit %d, %q; want 1", code, stderr)
	}
	code, _, stderr = runCmd("serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--redis-url", "http://nope")
	if code != 2 || !strings.Contains(stderr, "redis") {
		t.Fatalf("bad Redis URL: exit %d, %q; want 2", code, stderr)
	}
}
