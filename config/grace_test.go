package config

import (
	"errors"
	"testing"
	"time"
)

// TestWebhookGrace: apps[].webhooks.grace defaults to 3s in every app, is
// read from the file, and FANOUT_WEBHOOK_GRACE and --webhook-grace set it
// for every app, in that order of precedence; 0s turns it off, and more
// than a minute or less than zero is refused with the key named.
func TestWebhookGrace(t *testing.T) {
	path := writeFile(t, goodApps)
	for _, a := range mustLoad(t, path, nil, nil).Apps {
		if a.Webhooks.Grace != 3*time.Second {
			t.Fatalf("app %s: default grace %v, want 3s", a.ID, a.Webhooks.Grace)
		}
	}
	if g := mustLoad(t, writeFile(t, "apps:\n  - {id: a, key: k, secret: s, webhooks: {grace: 5s}}\n"), nil, nil).Apps[0].Webhooks.Grace; g != 5*time.Second {
		t.Fatalf("file grace %v, want 5s", g)
	}
	env := []string{"FANOUT_WEBHOOK_GRACE=0s"}
	for _, a := range mustLoad(t, path, env, nil).Apps {
		if a.Webhooks.Grace != 0 {
			t.Fatalf("app %s: env grace %v, want 0s (off)", a.ID, a.Webhooks.Grace)
		}
	}
	for _, a := range mustLoad(t, path, env, []string{"--webhook-grace", "1500ms"}).Apps {
		if a.Webhooks.Grace != 1500*time.Millisecond {
			t.Fatalf("app %s: flag grace %v, want 1.5s", a.ID, a.Webhooks.Grace)
		}
	}
	for _, bad := range []string{"2m", "-1s"} {
		_, err := Load(path, nil, []string{"--webhook-grace", bad})
		var ce ConfigError
		if !errors.As(err, &ce) || ce.Key != "apps[0].webhooks.grace" {
			t.Fatalf("--webhook-grace %s: got %v, want a ConfigError for apps[0].webhooks.grace", bad, err)
		}
	}
}
