package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
)

const (
	oldSecret = "rot-secret-old-0123456789abcdef"
	newSecret = "rot-secret-new-0123456789abcdef"
)

// reloadConfig is the file of TestSIGHUPReloadsApps: app keep (which holds
// the 1,000 sockets), app rot with secret, app gone if withGone, app
// added if withAdded.
func reloadConfig(secret string, withGone, withAdded bool, extra string) string {
	s := extra + `
reload:
  secret_grace: 8s
apps:
  - {id: keep, key: keep-key, secret: keep-secret-0123456789abcdef, auth: {mode: off}}
  - {id: rot, key: rot-key, secret: ` + secret + `, auth: {mode: off}}
`
	if withGone {
		s += "  - {id: gone, key: gone-key, secret: gone-secret-0123456789abcdef, auth: {mode: off}}\n"
	}
	if withAdded {
		s += "  - {id: added, key: added-key, secret: added-secret-0123456789abcdef, auth: {mode: off}}\n"
	}
	return s
}

// SIGHUP to a real `fanout serve` process adds an app, rotates a secret
// and removes an app while 1,000 Pusher-protocol sockets of another app
// stay open: the added app serves at once, the removed app's sockets get
// 4001, and the rotated app accepts the old and the new secret (HTTP API
// signature, channel authorization and signin, also on a socket opened
// before the rotation) until the grace ends, then only the new one. A
// broken file on a later SIGHUP keeps the running apps; a changed
// setting that only a restart applies is logged as such.
func TestSIGHUPReloadsApps(t *testing.T) {
	const kept = 1000
	cfgPath := filepath.Join(t.TempDir(), "fanout.yaml")
	writeConfig(t, cfgPath, reloadConfig(oldSecret, true, false, ""))
	p := startProc(t, nil, "--config", cfgPath)

	held := dialMany(t, kept, func() (*heldConn, error) {
		c, err := dialApp(p.addr, "keep-key")
		if err != nil {
			return nil, err
		}
		return c.heldConn, nil
	})
	var gone []*pconn
	for range 5 {
		c, err := dialApp(p.addr, "gone-key")
		if err != nil {
			t.Fatal(err)
		}
		gone = append(gone, c)
	}
	before, err := dialApp(p.addr, "rot-key") // opened before the rotation
	if err != nil {
		t.Fatal(err)
	}
	if code := curlPublish(t, p.addr, "added", "added-key", "added-secret-0123456789abcdef", "c"); code != 404 {
		t.Fatalf("publish to an app not yet added: %d, want 404", code)
	}

	// Add, rotate, remove.
	writeConfig(t, cfgPath, reloadConfig(newSecret, false, true, ""))
	from := p.mark()
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := p.waitLine(t, from, "SIGHUP: apps reloaded")
	for _, want := range []string{"added=added", "removed=gone", "rotated=rot", "closed=5"} {
		if !strings.Contains(line, want) {
			t.Fatalf("reload line %q lacks %s", line, want)
		}
	}
	for i, c := range gone {
		if seen := waitClose(c); seen.err != nil || seen.code != 4001 {
			t.Fatalf("socket %d of the removed app: code %d, %v; want 4001", i, seen.code, seen.err)
		}
	}
	mustServe(t, p.addr, "added", "added-secret-0123456789abcdef")

	// Within the grace both secrets work, on a socket opened before the
	// rotation and on one opened after it.
	after, err := dialApp(p.addr, "rot-key")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{oldSecret, newSecret} {
		if code := curlPublish(t, p.addr, "rot", "rot-key", secret, "c"); code != 200 {
			t.Fatalf("in the grace, publish signed with %s: %d", secret, code)
		}
		for _, c := range []*pconn{before, after} {
			if ok := channelAuth(t, c, secret); !ok {
				t.Fatalf("in the grace, channel auth signed with %s refused", secret)
			}
			if ok := signin(t, c, secret); !ok {
				t.Fatalf("in the grace, signin signed with %s refused", secret)
			}
		}
	}

	// After the grace only the new secret works.
	for curlPublish(t, p.addr, "rot", "rot-key", oldSecret, "c") == 200 {
		if time.Since(sent) > time.Minute {
			t.Fatal("the old secret is still accepted a minute after the reload (grace 8s)")
		}
		time.Sleep(100 * time.Millisecond) // polling the outcome, bounded above
	}
	if d := time.Since(sent); d < 8*time.Second {
		t.Fatalf("the old secret was refused %s after the reload, inside the 8s grace", d)
	}
	if code := curlPublish(t, p.addr, "rot", "rot-key", newSecret, "c"); code != 200 {
		t.Fatalf("after the grace, the new secret: %d", code)
	}
	for _, c := range []*pconn{before, after} {
		if channelAuth(t, c, oldSecret) || signin(t, c, oldSecret) {
			t.Fatal("after the grace, the old secret still authorizes on a socket")
		}
		if !channelAuth(t, c, newSecret) || !signin(t, c, newSecret) {
			t.Fatal("after the grace, the new secret is refused on a socket")
		}
	}

	// A broken file: logged, and the running apps stay.
	writeConfig(t, cfgPath, "apps: [\n")
	from = p.mark()
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if l := p.waitLine(t, from, "configuration not reloaded"); !strings.Contains(l, cfgPath) {
		t.Fatalf("the error does not name the file: %s", l)
	}
	if code := curlPublish(t, p.addr, "added", "added-key", "added-secret-0123456789abcdef", "c"); code != 200 {
		t.Fatalf("after a bad reload, the added app: %d", code)
	}
	// A setting only a restart applies.
	writeConfig(t, cfgPath, reloadConfig(newSecret, false, true, "heartbeat: {activity_timeout: 61s}\n"))
	from = p.mark()
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLine(t, from, "SIGHUP: apps reloaded")
	if l := p.waitLine(t, from, "takes effect after a restart"); !strings.Contains(l, "key=heartbeat.activity_timeout") {
		t.Fatalf("restart note %q", l)
	}

	// Every kept socket is still open and answers.
	if n := unanswered(held); n > 0 {
		t.Fatalf("%d of %d sockets of the kept app dropped across the reloads", n, kept)
	}
}

// channelAuth subscribes c to a fresh private channel signed with secret
// and reports whether the subscription succeeded.
var channelSeq struct {
	sync.Mutex
	n int
}

func channelAuth(t *testing.T, c *pconn, secret string) bool {
	t.Helper()
	channelSeq.Lock()
	channelSeq.n++
	ch := fmt.Sprintf("private-rot-%d", channelSeq.n)
	channelSeq.Unlock()
	ev, err := c.answer("pusher:subscribe", map[string]string{"channel": ch, "auth": auth.SignChannel("rot-key", secret, c.socketID, ch, "")},
		"pusher_internal:subscription_succeeded", "pusher:subscription_error", "pusher:error")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return ev == "pusher_internal:subscription_succeeded"
}

// signin sends pusher:signin signed with secret and reports whether it
// succeeded.
func signin(t *testing.T, c *pconn, secret string) bool {
	t.Helper()
	user := `{"id":"u1"}`
	ev, err := c.answer("pusher:signin", map[string]string{"user_data": user, "auth": auth.SignUser("rot-key", secret, c.socketID, user)},
		"pusher:signin_success", "pusher:error")
	if err != nil {
		t.Fatalf("signin: %v", err)
	}
	return ev == "pusher:signin_success"
}

// With reload.watch, rewriting the config file (replaced by a rename, or
// written in place) reloads the apps without a signal.
func TestWatchedConfigFileReloadsApps(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "fanout.yaml")
	body := "reload: {watch: true}\napps:\n  - {id: one, key: one-key, secret: one-secret-0123456789abcdef, auth: {mode: off}}\n"
	writeConfig(t, cfgPath, body)
	p := startProc(t, nil, "--config", cfgPath)
	held, err := dialApp(p.addr, "one-key")
	if err != nil {
		t.Fatal(err)
	}
	from := p.mark()
	body += "  - {id: two, key: two-key, secret: two-secret-0123456789abcdef, auth: {mode: off}}\n"
	writeConfig(t, cfgPath, body) // replaced by a rename
	if l := p.waitLine(t, from, "config file changed: apps reloaded"); !strings.Contains(l, "added=two") {
		t.Fatalf("reload line %q", l)
	}
	from = p.mark()
	body += "  - {id: three, key: three-key, secret: three-secret-0123456789abcdef, auth: {mode: off}}\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil { // in place
		t.Fatal(err)
	}
	if l := p.waitLine(t, from, "config file changed: apps reloaded"); !strings.Contains(l, "added=three") {
		t.Fatalf("reload line %q", l)
	}
	mustServe(t, p.addr, "two", "two-secret-0123456789abcdef")
	mustServe(t, p.addr, "three", "three-secret-0123456789abcdef")
	if !pingPong(held.heldConn) {
		t.Fatal("the socket of the app that stayed dropped")
	}
}
