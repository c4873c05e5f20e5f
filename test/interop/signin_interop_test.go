package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/internal/ledger"
)

// Real pusher-js and Laravel Echo against an app in auth.mode: required
// (the default for apps in a config file). pusher-js sends its subscribes
// as soon as it is connected, and on every reconnect, before its
// pusher:signin, which waits for the backend's user-authentication
// endpoint (here it answers in userAuthDelay, as a PHP backend may). The
// loss ledger judges every run.

// userAuthDelay is how long the test's user-authentication endpoint takes.
const userAuthDelay = 500 * time.Millisecond

// signinChannels are a public and a private channel, as an app uses.
var signinChannels = []string{"news", "private-orders.42"}

// requiredApp is an app in required mode (config.DefaultApp's mode).
func requiredApp(id string) config.App {
	a := authApp(id)
	if a.Auth.Mode != config.AuthRequired {
		panic("config.DefaultApp is no longer in required mode: update this test")
	}
	return a
}

// TestPusherJSSubscribesBeforeSlowSignin: both channels end up subscribed
// once the signin completes, and the events published afterwards arrive.
func TestPusherJSSubscribesBeforeSlowSignin(t *testing.T) {
	needAuthClients(t, false)
	slowSignin(t, "pusher", 20)
}

// slowSignin runs client (pusher or echo) against an in-process node in
// required mode whose user-authentication endpoint answers in
// userAuthDelay: once signed in and subscribed to signinChannels, it must
// receive each of events published to each channel.
func slowSignin(t *testing.T, client string, events int) {
	a := requiredApp("signin-" + client)
	cfg := fantest.Config()
	cfg.Apps = []config.App{a}
	n := fantest.Start(t, cfg, nil)
	host, port, _ := net.SplitHostPort(n.Addr())
	l := ledger.New()
	c := startJS(t, l, false, jsEnv{host: host, port: port, key: a.Key, client: client,
		authBase: authEndpoints(t, a, userAuthDelay), signin: true, channels: signinChannels})
	c.await(30*time.Second, "signed in, both channels subscribed", func() bool {
		return c.signins >= 1 && c.subscribedOn(1, signinChannels...)
	})
	pub := ledgerPublisher{l: l, app: a, base: n.HTTPBase()}
	for range events {
		pub.round(t, signinChannels)
	}
	c.await(30*time.Second, "every event received", func() bool { return c.received(events, signinChannels...) })
	checkLedger(t, l, events*len(signinChannels))
}

// signinNodeConfig is a `fanout serve` config: one app (required mode, the
// default), history on the test's channels when history is set, and the
// drain window.
func signinNodeConfig(t *testing.T, a config.App, history bool, drain time.Duration) string {
	t.Helper()
	h := "[]"
	if history {
		h = `[{channels: "news", size: 1000, ttl: 300s}, {channels: "private-orders.*", size: 1000, ttl: 300s}]`
	}
	file := filepath.Join(t.TempDir(), "fanout.yaml")
	writeFile(t, file, fmt.Sprintf(`apps:
  - id: %s
    key: %s
    secret: %s
    history: %s
shutdown:
  drain: %v
`, a.ID, a.Key, a.Secret, h, drain))
	return file
}

// TestPusherJSSigninAcrossRestart: the node drains (4200) and comes back
// on the same address; pusher-js reconnects, subscribes again before it
// signs in again, and ends up subscribed and receiving.
func TestPusherJSSigninAcrossRestart(t *testing.T) {
	needAuthClients(t, false)
	a := requiredApp("restart")
	bin := buildFanout(t)
	cfg := signinNodeConfig(t, a, false, 500*time.Millisecond)
	node := startServe(t, bin, "--config", cfg)
	node.waitStatus(t, "/readyz", http.StatusOK)
	host, port, _ := net.SplitHostPort(node.addr)
	l := ledger.New()
	c := startJS(t, l, false, jsEnv{host: host, port: port, key: a.Key, client: "pusher",
		authBase: authEndpoints(t, a, userAuthDelay), signin: true, channels: signinChannels})
	c.await(30*time.Second, "signed in, both channels subscribed", func() bool {
		return c.signins >= 1 && c.subscribedOn(1, signinChannels...)
	})
	const events = 10
	pub := ledgerPublisher{l: l, app: a, base: "http://" + node.addr}
	for range events {
		pub.round(t, signinChannels)
	}
	c.await(30*time.Second, "events before the restart", func() bool { return c.received(events, signinChannels...) })

	node.stop(t) // SIGTERM: a drain, 4200 to the client, exit 0
	node = startServeAt(t, bin, node.addr, "--config", cfg)
	node.waitStatus(t, "/readyz", http.StatusOK)
	c.await(60*time.Second, "signed in again, both channels subscribed again", func() bool {
		return c.signins >= 2 && c.subscribedOn(c.conns, signinChannels...) && c.conns >= 2
	})
	for range events {
		pub.round(t, signinChannels)
	}
	c.await(30*time.Second, "events after the restart", func() bool { return c.received(events, signinChannels...) })
	r := checkLedger(t, l, 2*events*len(signinChannels))
	if r.Received < 2*events*len(signinChannels) {
		t.Fatalf("received %d of %d", r.Received, 2*events*len(signinChannels))
	}
}

// TestPusherJSSigninDrainThroughNginx: two nodes over a real Redis behind
// the shipped deploy/nginx.conf, channels with history, pusher-js with
// the recovery helper. The client's node drains while events go out; the
// client reconnects through nginx to the other node, subscribes (with
// its recover positions) before it signs in, and ends up with every
// event accepted since it first subscribed: one ledger session across
// both connections, so any gap is a silent loss.
func TestPusherJSSigninDrainThroughNginx(t *testing.T) {
	needAuthClients(t, false)
	nginx := daemonPath(t, "nginx")
	a := requiredApp("drain")
	dir := t.TempDir()
	bin := buildFanout(t)
	redisURL := startRedisServer(t)
	cfg := signinNodeConfig(t, a, true, time.Second)
	// The client's node starts alone, so nginx gives it the client; the
	// second joins before the first drains.
	first := startServe(t, bin, "--config", cfg, "--redis-url", redisURL)
	first.waitStatus(t, "/readyz", http.StatusOK)
	secondAddr := freeAddr(t)
	pki := newTestPKI(t, dir)
	proxy := startNginx(t, nginx, dir, []string{first.addr, secondAddr}, pki)
	_, port, _ := net.SplitHostPort(proxy)

	l := ledger.New()
	c := startJS(t, l, true, jsEnv{host: "127.0.0.1", port: port, key: a.Key, client: "pusher",
		authBase: authEndpoints(t, a, userAuthDelay), signin: true, recovery: true, tls: true,
		channels: signinChannels, extra: []string{"NODE_EXTRA_CA_CERTS=" + pki.caFile}})
	c.await(30*time.Second, "signed in, both channels subscribed", func() bool {
		return c.signins >= 1 && c.subscribedOn(1, signinChannels...)
	})
	second := startServeAt(t, bin, secondAddr, "--config", cfg, "--redis-url", redisURL)
	second.waitStatus(t, "/readyz", http.StatusOK)

	// Publish through the second node, over Redis to the first, while the
	// first drains: 80 events a channel, the drain after the 20th.
	pub := ledgerPublisher{l: l, app: a, base: "http://" + second.addr}
	const events = 80
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, ch := range signinChannels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(10 * time.Millisecond) // a steady publisher
			defer tick.Stop()
			for i := 0; i < events && ctx.Err() == nil; i++ {
				pub.one(ch)
				<-tick.C
			}
		}()
	}
	c.await(30*time.Second, "20 events before the drain", func() bool { return c.received(20, signinChannels...) })
	first.stop(t) // SIGTERM: 4200 to the client within the drain window
	wg.Wait()
	acc, ref, _ := l.Counts()
	if ref > 0 {
		t.Logf("%d publishes refused", ref)
	}
	perChannel := acc / len(signinChannels)
	c.await(60*time.Second, "every accepted event, across the drain", func() bool {
		return c.conns >= 2 && c.signins >= 2 && c.received(perChannel, signinChannels...) &&
			len(c.recovered[signinChannels[0]]) > 0 && len(c.recovered[signinChannels[1]]) > 0
	})
	checkLedger(t, l, acc)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range signinChannels {
		if got := c.recovered[ch]; !got[len(got)-1] {
			t.Fatalf("%s: recovery outcomes %v, want the last recovered", ch, got)
		}
	}
}

// TestLaravelEchoRequiredMode: Laravel Echo with userAuthentication (and
// Echo.connector.signin()) is subscribed and receives in required mode;
// without it, each channel's .error() fires (401, saying what to do)
// before the 4009 close.
func TestLaravelEchoRequiredMode(t *testing.T) {
	needAuthClients(t, false)
	t.Run("userAuthentication", func(t *testing.T) { slowSignin(t, "echo", 10) })
	t.Run("without userAuthentication", func(t *testing.T) {
		a := requiredApp("echo-anon")
		a.Auth.SigninTimeout = time.Second
		cfg := fantest.Config()
		cfg.Apps = []config.App{a}
		n := fantest.Start(t, cfg, nil)
		host, port, _ := net.SplitHostPort(n.Addr())
		c := startJS(t, ledger.New(), false, jsEnv{host: host, port: port, key: a.Key, client: "echo",
			authBase: authEndpoints(t, a, 0), signin: false, channels: signinChannels})
		c.await(30*time.Second, "an .error() per channel, then 4009", func() bool {
			return len(c.subErrs) >= len(signinChannels) && len(c.codes) > 0
		})
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.codes[0] != 4009 {
			t.Fatalf("pusher-js got codes %v, want 4009 first", c.codes)
		}
		seen := map[string]bool{}
		for _, e := range c.subErrs {
			var d struct {
				Type   string `json:"type"`
				Error  string `json:"error"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil || d.Status != 401 || d.Type != "AuthError" ||
				!strings.Contains(d.Error, "userAuthentication") || !strings.Contains(d.Error, "auth.mode: optional") {
				t.Fatalf("%s .error() got %s", e.Ch, e.Data)
			}
			if e.n > c.codeAt[0] {
				t.Fatalf("%s .error() came after the close", e.Ch)
			}
			seen[e.Ch] = true
		}
		for _, ch := range signinChannels {
			if !seen[ch] {
				t.Fatalf("no .error() for %s: %v", ch, c.subErrs)
			}
		}
	})
}
