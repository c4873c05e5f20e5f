package pusher_test

import (
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
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

func TestServerCapacityClosesWith4100AndDisabledAppWith4003(t *testing.T) {
	cfg := fantest.Config()
	cfg.Server.MaxConnections = 1
	off := config.DefaultApp()
	off.ID, off.Key, off.Secret, off.Enabled = "off-id", "off-key", "off-secret", false
	cfg.Apps = append(cfg.Apps, off)
	n := fantest.Start(t, cfg, nil)
	fantest.Dial(t, n.URL("app-key"), nil)
	over, err := fantest.DialErr(t, n.URL("app-key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := over.CloseCode(3 * time.Second); err != nil || code != 4100 {
		t.Fatalf("over capacity: closed with %d (%v), want 4100", code, err)
	}
	disabled, err := fantest.DialErr(t, n.URL("off-key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := disabled.CloseCode(3 * time.Second); err != nil || code != 4003 {
		t.Fatalf("disabled app: closed with %d (%v), want 4003", code, err)
	}
}
