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

// TestWebhookEndpoints: webhooks.endpoints is read with its filters and
// headers next to the single url; a bad endpoint is refused with its key
// named; --print-config masks header values.
func TestWebhookEndpoints(t *testing.T) {
	c := mustLoad(t, writeFile(t, `
apps:
  - id: a
    key: k
    secret: s
    webhooks:
      url: http://127.0.0.1:1/all
      endpoints:
        - url: http://127.0.0.1:1/presence
          events: [member_added, member_removed]
          channels: "presence-*"
          headers: {Authorization: Bearer t}
`), nil, nil)
	w := c.Apps[0].Webhooks
	if w.URL != "http://127.0.0.1:1/all" || len(w.Endpoints) != 1 {
		t.Fatalf("webhooks %+v", w)
	}
	e := w.Endpoints[0]
	if e.Channels != "presence-*" || len(e.Events) != 2 || e.Headers["Authorization"] != "Bearer t" {
		t.Fatalf("endpoint %+v", e)
	}
	if h := c.Masked().Apps[0].Webhooks.Endpoints[0].Headers["Authorization"]; h != "****" {
		t.Fatalf("masked header %q", h)
	}
	if c.Apps[0].Webhooks.Endpoints[0].Headers["Authorization"] != "Bearer t" {
		t.Fatal("Masked changed the config it copied")
	}
	for _, bad := range []struct{ endpoint, key string }{
		{"{events: [member_added]}", "apps[0].webhooks.endpoints[0].url"},
		{"{url: ftp://x/}", "apps[0].webhooks.endpoints[0].url"},
		{"{url: http://x/, events: [bogus]}", "apps[0].webhooks.endpoints[0].events[0]"},
		{"{url: http://x/, headers: {X-Pusher-Signature: x}}", "apps[0].webhooks.endpoints[0].headers.X-Pusher-Signature"},
		{"{url: http://x/, headers: {\"bad name\": x}}", "apps[0].webhooks.endpoints[0].headers.bad name"},
	} {
		_, err := Load(writeFile(t, "apps:\n  - {id: a, key: k, secret: s, webhooks: {endpoints: ["+bad.endpoint+"]}}\n"), nil, nil)
		var ce ConfigError
		if !errors.As(err, &ce) || ce.Key != bad.key {
			t.Errorf("endpoint %s: got %v, want a ConfigError for %s", bad.endpoint, err, bad.key)
		}
	}
}
