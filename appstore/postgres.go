package appstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/fanout/fanout/config"
	"github.com/jackc/pgx/v5"
)

// Postgres reads the apps of one table.
type Postgres struct {
	URL   string // postgres:// URL; required
	Table string // table name, schema.table allowed; required
}

// Schema returns the CREATE TABLE statement of table, for operators and
// tests.
func Schema(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + ident(table) + ` (
  id       text    PRIMARY KEY,
  key      text    NOT NULL UNIQUE,
  secret   text    NOT NULL,
  enabled  boolean NOT NULL DEFAULT true,
  settings jsonb
)`
}

// ident quotes a possibly schema-qualified table name.
func ident(table string) string {
	return pgx.Identifier(strings.Split(table, ".")).Sanitize()
}

// Apps reads every row, ordered by id, as config apps (config.StoreApp).
// A row that is not a valid app fails the whole read, naming it, so a
// bad row never removes the apps that run.
func (p Postgres) Apps(ctx context.Context) ([]config.App, error) {
	conn, err := pgx.Connect(ctx, p.URL)
	if err != nil {
		return nil, fmt.Errorf("app_store: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, "SELECT id, key, secret, enabled, coalesce(settings::text, '') FROM "+ident(p.Table)+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("app_store: read %s: %w", p.Table, err)
	}
	defer rows.Close()
	var apps []config.App
	for rows.Next() {
		var id, key, secret, settings string
		var enabled bool
		if err := rows.Scan(&id, &key, &secret, &enabled, &settings); err != nil {
			return nil, fmt.Errorf("app_store: read %s: %w", p.Table, err)
		}
		a, err := config.StoreApp(id, key, secret, enabled, []byte(settings))
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("app_store: read %s: %w", p.Table, err)
	}
	return apps, nil
}
