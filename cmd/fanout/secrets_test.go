package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
)

// A real node whose apps take their secrets from a file (secret_file) and
// from the environment (${VAR}): a publish signed with each secret, sent
// with curl, reaches a subscriber; one signed with the literal "${VAR}"
// text is refused. A secret left as the docs' placeholder is warned
// about at start.
func TestSecretFileAndVariableWithSignedPublish(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "files-secret")
	if err := os.WriteFile(secretFile, []byte("secret-from-a-mounted-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "fanout.yaml")
	writeConfig(t, cfgPath, `
apps:
  - {id: files, key: files-key, secret_file: `+secretFile+`, auth: {mode: off}}
  - {id: vars, key: vars-key, secret: "${RELOAD_TEST_SECRET}", auth: {mode: off}}
  - {id: placeholder, key: placeholder-key, secret: "${use a long random secret}", auth: {mode: off}}
`)
	p := startProc(t, []string{"RELOAD_TEST_SECRET=secret-from-the-environment-0123"}, "--config", cfgPath)
	p.waitLine(t, 0, `weak secret: apps[2].secret (app placeholder) still holds a placeholder`)
	if strings.Contains(p.log(), "app files") || strings.Contains(p.log(), "app vars") {
		t.Fatalf("a long secret was warned about:\n%s", p.log())
	}

	for _, app := range []struct{ id, secret string }{
		{"files", "secret-from-a-mounted-file-0123"},
		{"vars", "secret-from-the-environment-0123"},
	} {
		sub, err := dialApp(p.addr, app.id+"-key")
		if err != nil {
			t.Fatal(err)
		}
		if ev, err := sub.answer("pusher:subscribe", map[string]string{"channel": "news"}, "pusher_internal:subscription_succeeded"); err != nil {
			t.Fatalf("subscribe: %s %v", ev, err)
		}
		if code := curlPublish(t, p.addr, app.id, app.id+"-key", app.secret, "news"); code != 200 {
			t.Fatalf("app %s: publish signed with its secret: %d", app.id, code)
		}
		for {
			ev, data, err := sub.next()
			if err != nil {
				t.Fatalf("app %s: no event: %v", app.id, err)
			}
			if ev == "note" {
				if data != `{"n":1}` {
					t.Fatalf("data %q", data)
				}
				break
			}
		}
		sub.Close()
	}
	if code := curlPublish(t, p.addr, "vars", "vars-key", "${RELOAD_TEST_SECRET}", "news"); code != 401 {
		t.Fatalf("publish signed with the unexpanded text: %d, want 401", code)
	}
}

// Public bug case centrifugal/centrifugo#269, on a real process: the
// variables a Kubernetes Service named "fanout" puts into every pod do
// not stop the node (one info line names them); a misspelt setting
// beside them still does, with the suggestion.
func TestKubernetesServiceVariablesDoNotStopANode(t *testing.T) {
	kube := []string{"FANOUT_PORT=tcp://10.96.0.11:6001", "FANOUT_SERVICE_HOST=10.96.0.11", "FANOUT_SERVICE_PORT=6001",
		"FANOUT_PORT_6001_TCP=tcp://10.96.0.11:6001", "FANOUT_PORT_6001_TCP_ADDR=10.96.0.11",
		"FANOUT_PORT_6001_TCP_PORT=6001", "FANOUT_PORT_6001_TCP_PROTO=tcp"}
	p := startProc(t, kube)
	l := p.waitLine(t, 0, "ignored FANOUT_ variables")
	if !strings.Contains(l, "FANOUT_PORT,FANOUT_PORT_6001_TCP,") || strings.Count(p.log(), "ignored FANOUT_") != 1 {
		t.Fatalf("info line %q", l)
	}
	bin := p.cmd.Path
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "")
	cmd.Env = append(append(os.Environ(), kube...), "FANOUT_ADRR=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "FANOUT_ADRR: names no setting (did you mean FANOUT_ADDR?)") {
		t.Fatalf("typo: %v\n%s", err, out)
	}
}

func TestInvalidYAMLNamesTheFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "broken.yaml")
	os.WriteFile(f, []byte("server:\n  addr: 127.0.0.1:0\n  echo: [\n"), 0o600)
	code, _, stderr := runCmd("serve", "--config", f)
	if code != 2 || !strings.Contains(stderr, f+": invalid YAML: line") {
		t.Fatalf("exit %d, stderr %q: want the file named", code, stderr)
	}
}

// A start that fails prints the failure only: no development-credentials
// warning before a fatal TLS or listen error.
func TestFailedStartPrintsNoWarningFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, args := range [][]string{
		{"serve", "--addr", busy.Addr().String(), "--metrics-addr", ""},
		{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--tls-cert", missing, "--tls-key", missing},
	} {
		code, _, stderr := runCmd(args...)
		if code == 0 || strings.Contains(stderr, "development credentials") {
			t.Fatalf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
}

func TestTokenUsesTheFilesOnlyApp(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one.yaml")
	os.WriteFile(one, []byte("apps:\n  - {id: solo, key: solo-key, secret: solo-secret-0123456789abcdef}\n"), 0o600)
	code, out, stderr := runCmd("token", "--config", one, "--sub", "u")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	v, _ := auth.NewVerifier(auth.JWTOptions{HMACSecret: "solo-secret-0123456789abcdef"})
	if c, err := v.Verify(strings.TrimSpace(out), time.Now()); err != nil || c.Subject != "u" {
		t.Fatalf("token of the only app: %+v %v", c, err)
	}
	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("apps:\n  - {id: a, key: ka, secret: sa}\n  - {id: b, key: kb, secret: sb}\n"), 0o600)
	if code, _, stderr := runCmd("token", "--config", two, "--sub", "u"); code != 2 || !strings.Contains(stderr, "lists 2 apps (a, b): name one with --app") {
		t.Fatalf("two apps: exit %d, %s", code, stderr)
	}
}

// FANOUT_APP_SECRET sets the secret of a config file's only app (the
// token tool loads the configuration as serve does); --print-config
// masks it.
func TestAppSecretVariableWithAConfigFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "one.yaml")
	os.WriteFile(f, []byte("apps:\n  - {id: solo, key: solo-key, secret: in-the-file}\n"), 0o600)
	t.Setenv("FANOUT_APP_SECRET", "from-the-environment-0123456789")
	code, out, stderr := runCmd("serve", "--config", f, "--print-config")
	if code != 0 || strings.Contains(out, "from-the-environment") || strings.Contains(out, "in-the-file") {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	code, out, stderr = runCmd("token", "--config", f, "--sub", "u")
	v, _ := auth.NewVerifier(auth.JWTOptions{HMACSecret: "from-the-environment-0123456789"})
	if _, err := v.Verify(strings.TrimSpace(out), time.Now()); code != 0 || err != nil {
		t.Fatalf("token not signed with FANOUT_APP_SECRET: exit %d %s %v", code, stderr, err)
	}
}
