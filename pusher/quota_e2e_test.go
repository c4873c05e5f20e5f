package pusher_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
)

func TestAppConnectionQuotaClosesWith4004(t *testing.T) {
	cfg := fantest.Config()
	cfg.Apps[0].MaxConnections = 2
	n := fantest.Start(t, cfg, nil)
	fantest.Dial(t, n.URL("app-key"), nil)
	second := fantest.Dial(t, n.URL("app-key"), nil)
	over, err := fantest.DialErr(t, n.URL("app-key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := over.CloseCode(3 * time.Second); err != nil || code != 4004 {
		t.Fatalf("third connection closed with %d (%v), want 4004", code, err)
	}
	second.Conn.Close() // a slot frees up
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := fantest.DialErr(t, n.URL("app-key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := c.NextErr(3 * time.Second)
		if err == nil && ev.Event == "pusher:connection_established" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot after a connection left")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// At capacity an upgrade is refused with 503 before the 101 and /readyz
// says so; both recover when a connection leaves.
func TestServerCapacityRefusesWith503(t *testing.T) {
	cfg := fantest.Config()
	cfg.Server.MaxConnections = 1
	n := fantest.Start(t, cfg, nil)
	first := fantest.Dial(t, n.URL("app-key"), nil)
	_, err := fantest.DialErr(t, n.URL("app-key"), nil)
	if status, ok := err.(ws.StatusError); !ok || int(status) != http.StatusServiceUnavailable {
		t.Fatalf("over capacity: dial error %v, want HTTP 503", err)
	}
	if code, body := readyz(t, n); code != http.StatusServiceUnavailable || !strings.Contains(body, "at capacity") {
		t.Fatalf("/readyz at capacity: %d %s", code, body)
	}
	first.Conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for code, _ := readyz(t, n); code != http.StatusOK; code, _ = readyz(t, n) {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still 503 after the connection left")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fantest.Dial(t, n.URL("app-key"), nil)
}

func TestDisabledAppClosesWith4003(t *testing.T) {
	cfg := fantest.Config()
	off := config.DefaultApp()
	off.ID, off.Key, off.Secret, off.Enabled = "off-id", "off-key", "off-secret", false
	cfg.Apps = append(cfg.Apps, off)
	n := fantest.Start(t, cfg, nil)
	disabled, err := fantest.DialErr(t, n.URL("off-key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := disabled.CloseCode(3 * time.Second); err != nil || code != 4003 {
		t.Fatalf("disabled app: closed with %d (%v), want 4003", code, err)
	}
}

func readyz(t *testing.T, n *fantest.Node) (int, string) {
	t.Helper()
	resp, err := http.Get(n.HTTPBase() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
