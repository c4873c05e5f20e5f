package main

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	"github.com/fanout/fanout/appstore"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/server"
)

// appSource adds the apps of the app store (app_store.postgres), when
// one is configured, to the apps of a loaded configuration.
type appSource struct {
	store *appstore.Postgres // nil: the file's apps only
}

func newAppSource(c config.Config) appSource {
	if !c.AppStore.Enabled() {
		return appSource{}
	}
	return appSource{store: &appstore.Postgres{URL: c.AppStore.Postgres, Table: c.AppStore.Table}}
}

// storeReadTimeout bounds one read of the app store.
const storeReadTimeout = 10 * time.Second

// merge returns c serving its own apps and the store's. A bad row is a
// config.ConfigError; a database that cannot be read is another error.
func (s appSource) merge(c config.Config) (config.Config, error) {
	if s.store == nil {
		return c, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeReadTimeout)
	defer cancel()
	apps, err := s.store.Apps(ctx)
	if err != nil {
		return c, err
	}
	return c.WithStoreApps(apps)
}

// ticks returns the refresh ticks of the store (nil without one, which
// never fires) and the function that stops them.
func (s appSource) ticks(c config.Config) (<-chan time.Time, func()) {
	if s.store == nil {
		return nil, func() {}
	}
	t := time.NewTicker(c.AppStore.Refresh)
	return t.C, t.Stop
}

// refreshApps reads the app store again and, if the apps differ from
// the running ones, hands them to the node; file is the configuration
// loaded last (its apps are those of the file). A failed read keeps the
// running apps.
func refreshApps(node *server.Node, log *slog.Logger, running, file config.Config, src appSource) config.Config {
	next, err := src.merge(file)
	if err != nil {
		log.Warn("app store: not read, the running apps stay", "err", err)
		return running
	}
	if reflect.DeepEqual(next.Apps, running.Apps) {
		return running
	}
	return applyApps(node, log, running, next, "app store refresh")
}
