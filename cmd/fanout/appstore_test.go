package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanout/fanout/appstore"
	"github.com/fanout/fanout/internal/fantest"
)

// Apps from a real PostgreSQL: a node whose file lists no apps serves the
// table's (and no development app); a row inserted serves within the
// refresh; a changed secret keeps the old one for the grace; a deleted
// row's sockets get 4001; a table that cannot be read keeps the running
// apps, and upgrades, which never query it, go on.
func TestAppsFromPostgres(t *testing.T) {
	url := fantest.Postgres(t)
	fantest.Exec(t, url, appstore.Schema("fanout_apps"),
		`INSERT INTO fanout_apps (id, key, secret, settings) VALUES ('pg1', 'pg1-key', 'pg1-secret-0123456789abcdef', '{"auth": {"mode": "off"}}')`)
	cfgPath := filepath.Join(t.TempDir(), "fanout.yaml")
	writeConfig(t, cfgPath, `
app_store:
  postgres: "${APPS_DSN}"
  refresh: 1s
`)
	p := startProc(t, []string{"APPS_DSN=" + url}, "--config", cfgPath)
	held := make([]*pconn, 20)
	for i := range held {
		c, err := dialApp(p.addr, "pg1-key")
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}

	from := p.mark()
	fantest.Exec(t, url, `INSERT INTO fanout_apps (id, key, secret, settings) VALUES ('pg2', 'pg2-key', 'pg2-secret-0123456789abcdef', '{"auth": {"mode": "off"}}')`)
	p.waitLine(t, from, "app store refresh: apps reloaded")
	mustServe(t, p.addr, "pg2", "pg2-secret-0123456789abcdef")

	from = p.mark()
	fantest.Exec(t, url, `UPDATE fanout_apps SET secret = 'pg1-secret-new-0123456789abc' WHERE id = 'pg1'`)
	p.waitLine(t, from, "rotated=pg1")
	for _, s := range []string{"pg1-secret-0123456789abcdef", "pg1-secret-new-0123456789abc"} {
		if code := curlPublish(t, p.addr, "pg1", "pg1-key", s, "c"); code != 200 {
			t.Fatalf("after a rotation in the table, %s: %d", s, code)
		}
	}

	from = p.mark()
	fantest.Exec(t, url, `DELETE FROM fanout_apps WHERE id = 'pg1'`)
	p.waitLine(t, from, "removed=pg1")
	for i, c := range held {
		if seen := waitClose(c); seen.err != nil || seen.code != 4001 {
			t.Fatalf("socket %d of the deleted app: %d %v", i, seen.code, seen.err)
		}
	}

	from = p.mark()
	fantest.Exec(t, url, `ALTER TABLE fanout_apps RENAME TO gone`)
	p.waitLine(t, from, "app store: not read, the running apps stay")
	mustServe(t, p.addr, "pg2", "pg2-secret-0123456789abcdef")
	// Upgrades never query the store: they succeed while it cannot be read.
	for range 50 {
		c, err := dialApp(p.addr, "pg2-key")
		if err != nil {
			t.Fatalf("upgrade with the table unreadable: %v", err)
		}
		c.Close()
	}
	if l := p.log(); strings.Contains(l, "development credentials") {
		t.Fatalf("a store-only node runs the development app:\n%s", l)
	}
}
