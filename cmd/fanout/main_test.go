package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
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
	code, out, stderr := runCmd("token", "--app", "app-id", "--sub", "user-42", "--channels", "private-a.*, presence-b,", "--ttl", "10m")
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
	if claims.Subject != "user-42" || !slices.Equal(claims.Channels, []string{"private-a.*", "presence-b"}) || time.Until(claims.ExpiresAt) > 11*time.Minute {
		t.Fatalf("claims %+v: want the patterns trimmed, empty ones left out", claims)
	}
	if code, _, _ := runCmd("token", "--app", "app-id"); code != 2 {
		t.Fatal("token without --sub must exit 2")
	}
	if code, _, stderr := runCmd("token", "--sub", "u", "--ttl", "-1h"); code != 2 || !strings.Contains(stderr, "--ttl") {
		t.Fatalf("token with a negative ttl: exit %d %q, want 2 naming --ttl", code, stderr)
	}
	if code, _, _ := runCmd("token", "-h"); code != 0 {
		t.Fatalf("token -h: exit %d, want 0 as serve -h", code)
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

// With --key the token is signed with --alg when it is given (and fits the
// key), else with the key's own default.
func TestTokenWithKeyHonoursAlg(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	f := filepath.Join(t.TempDir(), "rsa.pem")
	os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	header := func(tok string) string {
		b, _ := base64.RawURLEncoding.DecodeString(strings.SplitN(strings.TrimSpace(tok), ".", 2)[0])
		return string(b)
	}
	for alg, want := range map[string]string{"": `"alg":"RS256"`, "RS512": `"alg":"RS512"`} {
		args := []string{"token", "--sub", "u1", "--key", f}
		if alg != "" {
			args = append(args, "--alg", alg)
		}
		code, out, stderr := runCmd(args...)
		if code != 0 || !strings.Contains(header(out), want) {
			t.Errorf("--alg %q: exit %d, header %s, stderr %q; want %s", alg, code, header(out), stderr, want)
		}
	}
	if code, _, stderr := runCmd("token", "--sub", "u1", "--key", f, "--alg", "ES256"); code != 2 || !strings.Contains(stderr, "ES256") {
		t.Errorf("ES256 with an RSA key: exit %d, %q; want 2 naming the algorithm", code, stderr)
	}
}

// A listen address that cannot be bound is a bad config value like any
// other: exit 2, one line naming the key, before anything is started.
func TestBadListenAddressExitsTwoNamingIt(t *testing.T) {
	t.Setenv("FANOUT_ADDR", "nonsense")
	code, _, stderr := runCmd("serve", "--metrics-addr", "")
	if code != 2 || !strings.Contains(stderr, "server.addr") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want 2 and one line naming server.addr", code, stderr)
	}
}

// A FANOUT_ variable that names no setting is refused as an unknown YAML
// key is (--print-config keeps the old code from starting a server).
func TestMisspeltVariableExitsTwoNamingIt(t *testing.T) {
	t.Setenv("FANOUT_ADRR", "127.0.0.1:0")
	code, _, stderr := runCmd("serve", "--print-config")
	if code != 2 || !strings.Contains(stderr, "FANOUT_ADRR") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want 2 and one line naming FANOUT_ADRR", code, stderr)
	}
}
