// Package appstore reads fanout apps from a PostgreSQL table, so that
// tenants can be added, changed and removed by writing rows rather than
// a config file.
//
// The table (config app_store.table, default fanout_apps) has the
// columns
//
//	id       text    primary key    -- the HTTP API's /apps/{id}
//	key      text    unique         -- the client's /app/{key}
//	secret   text    not null
//	enabled  boolean not null default true
//	settings jsonb                  -- any other app key of the config file
//
// as [Schema] creates it. The store is read whole, never per
// connection: cmd/fanout reads it at start, every app_store.refresh and
// on SIGHUP, and hands the apps to the node, which swaps its in-memory
// registry. A connection's upgrade therefore costs no query; a database
// that is down leaves the apps of the last good read running.
//
// # Concurrency
//
// A Postgres value is immutable; Apps opens its own connection per call
// and may be called from any goroutine.
package appstore
