package appstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/appstore"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

func TestPostgresApps(t *testing.T) {
	url := fantest.Postgres(t)
	store := appstore.Postgres{URL: url, Table: "tenants.apps"}
	fantest.Exec(t, url, "CREATE SCHEMA tenants", appstore.Schema(store.Table),
		`INSERT INTO tenants.apps (id, key, secret, settings) VALUES
		   ('b', 'kb', 'secret-b-0123456789abcdef', '{"auth": {"mode": "off"}, "max_connections": 7, "webhooks": {"url": "https://hooks.example.com/b"}}'),
		   ('a', 'ka', 'secret-a-0123456789abcdef', NULL)`,
		`INSERT INTO tenants.apps (id, key, secret, enabled) VALUES ('c', 'kc', 'secret-c-0123456789abcdef', false)`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	apps, err := store.Apps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 3 || apps[0].ID != "a" || apps[1].ID != "b" || apps[2].ID != "c" {
		t.Fatalf("apps %+v", apps)
	}
	a, b, c := apps[0], apps[1], apps[2]
	if a.Auth.Mode != config.AuthRequired || a.MaxChannelsPerConnection != 100 || !a.Enabled {
		t.Fatalf("a row without settings should have the defaults: %+v", a)
	}
	if b.Auth.Mode != config.AuthOff || b.MaxConnections != 7 || b.Webhooks.URL != "https://hooks.example.com/b" || b.Webhooks.BatchMax != 50 {
		t.Fatalf("b's settings: %+v", b)
	}
	if c.Enabled {
		t.Fatal("c is disabled in its row")
	}

	// A bad row fails the read, naming the row.
	fantest.Exec(t, url, `INSERT INTO tenants.apps (id, key, secret, settings) VALUES ('d', 'kd', 's', '{"max_conections": 1}')`)
	if _, err := store.Apps(ctx); err == nil || !strings.Contains(err.Error(), `app_store row "d" settings`) || !strings.Contains(err.Error(), "max_conections") {
		t.Fatalf("bad row: %v", err)
	}
	fantest.Exec(t, url, `UPDATE tenants.apps SET settings = '{"auth": {"mode": "maybe"}}' WHERE id = 'd'`)
	if _, err := store.Apps(ctx); err == nil || !strings.Contains(err.Error(), `app_store row "d".auth.mode`) {
		t.Fatalf("bad value: %v", err)
	}
	if _, err := (appstore.Postgres{URL: url, Table: "missing"}).Apps(ctx); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing table: %v", err)
	}
}

// BenchmarkPostgresApps1000 is the cost of one refresh of 1,000 apps
// (connect, read, build, close), the store's whole cost: upgrades read
// the node's memory. go test -run - -bench PostgresApps ./appstore
func BenchmarkPostgresApps1000(b *testing.B) {
	url := fantest.Postgres(b)
	fantest.Exec(b, url, appstore.Schema("fanout_apps"),
		`INSERT INTO fanout_apps (id, key, secret, settings)
		 SELECT 'app' || i, 'key' || i, 'secret-0123456789abcdef-' || i, '{"auth": {"mode": "off"}, "max_connections": 1000}'
		 FROM generate_series(1, 1000) AS i`)
	store := appstore.Postgres{URL: url, Table: "fanout_apps"}
	ctx := context.Background()
	for b.Loop() {
		apps, err := store.Apps(ctx)
		if err != nil || len(apps) != 1000 {
			b.Fatalf("%d apps, %v", len(apps), err)
		}
	}
}
