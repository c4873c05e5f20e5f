package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

func reloadApp(id, key, secret string) config.App {
	a := config.DefaultApp()
	a.ID, a.Key, a.Secret = id, key, secret
	a.Auth.Mode = config.AuthOff
	return a
}

// ReloadApps while connections open and the HTTP API publishes (the race
// detector watches the app registry), then: a disabled app's sockets get
// 4003, a re-keyed app's 4001 (its new key serves at once, its old key
// is unknown), a lowered connection limit applies to the next
// connection, and the connection count survives the reloads.
func TestReloadAppsUnderTraffic(t *testing.T) {
	cfg := fantest.Config()
	a, b, c := reloadApp("a", "ka", "secret-a-0"), reloadApp("b", "kb", "secret-b"), reloadApp("c", "kc", "secret-c")
	cfg.Apps = []config.App{a, b, c}
	n := fantest.Start(t, cfg, nil)
	onB := fantest.Dial(t, n.URL("kb"), nil)
	onC := fantest.Dial(t, n.URL("kc"), nil)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(step func() bool) { // runs step until stop or it returns false
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !step() {
					return
				}
			}
		}()
	}
	loop(func() bool { // connections of a come and go
		if cl, err := fantest.DialErr(t, n.URL("ka"), nil); err == nil {
			cl.Conn.Close()
		}
		return true
	})
	loop(func() bool { // publishes to a, signed with its first secret: current or previous throughout
		if st, body := n.Publish(t, a, "news", "e", "{}"); st != 200 {
			t.Errorf("publish during reloads: %d %s", st, body)
			return false
		}
		return true
	})
	grace := time.Minute
	for i := range 50 {
		a2 := a
		a2.Secret = "secret-a-" + string(rune('0'+i%2))
		a2.MaxEventData = 1000 + i
		if _, err := n.ReloadApps([]config.App{a2, b, c}, grace); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()

	held := fantest.Dial(t, n.URL("ka"), nil)
	bOff, cRekeyed := b, c
	bOff.Enabled = false
	cRekeyed.Key = "kc2"
	a.MaxConnections = 1
	ch, err := n.ReloadApps([]config.App{a, bOff, cRekeyed}, grace)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Disabled) != 1 || len(ch.Rekeyed) != 1 || ch.Closed != 2 {
		t.Fatalf("changes %+v", ch)
	}
	if code, err := onB.CloseCode(3 * time.Second); err != nil || code != 4003 {
		t.Fatalf("disabled app's socket: %d %v", code, err)
	}
	if code, err := onC.CloseCode(3 * time.Second); err != nil || code != 4001 {
		t.Fatalf("re-keyed app's socket: %d %v", code, err)
	}
	fantest.Dial(t, n.URL("kc2"), nil)
	old, err := fantest.DialErr(t, n.URL("kc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := old.CloseCode(3 * time.Second); err != nil || code != 4001 {
		t.Fatalf("old key after a re-key: %d %v", code, err)
	}
	over, err := fantest.DialErr(t, n.URL("ka"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := over.CloseCode(3 * time.Second); err != nil || code != 4004 {
		t.Fatalf("second connection of a with max_connections 1: %d %v (the count did not survive the reloads?)", code, err)
	}
	held.Conn.Close()
	if _, err := n.ReloadApps([]config.App{a, reloadApp("x", "ka", "s")}, grace); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
}
