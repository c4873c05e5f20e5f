package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/server"
)

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load("", os.Environ(), args)
	if errors.Is(err, flag.ErrHelp) {
		config.PrintUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fanout:", err)
		return 2
	}
	if cfg.PrintConfig {
		stdout.Write(cfg.Masked().YAML())
		return 0
	}
	log := newLogger(stderr, cfg.Server.LogLevel, cfg.Server.LogFormat)
	src := newAppSource(cfg)
	file := cfg
	if cfg, err = src.merge(cfg); err != nil {
		fmt.Fprintln(stderr, "fanout:", err)
		var bad config.ConfigError
		if errors.As(err, &bad) {
			return 2
		}
		return 1 // the database is not there (yet): a supervisor may retry
	}
	b, err := newBroker(cfg, log)
	var unreachable redis.ConnectError
	if errors.As(err, &unreachable) { // not a configuration error: a supervisor may retry
		fmt.Fprintln(stderr, "fanout:", err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "fanout:", err)
		return 2
	}
	node, err := server.New(cfg, log, b)
	if err != nil {
		fmt.Fprintln(stderr, "fanout:", err)
		return 2
	}
	// Watched from before the node serves: a change made as soon as it
	// says so is seen.
	var changed <-chan struct{}
	if cfg.Reload.Watch {
		var stopWatch func()
		if changed, stopWatch, err = watchFile(cfg.File, log); err != nil {
			log.Warn("reload.watch: cannot watch the config file; reload with SIGHUP", "file", cfg.File, "err", err)
		} else {
			defer stopWatch()
		}
	}
	if err := node.Start(); err != nil {
		fmt.Fprintln(stderr, "fanout:", err)
		return 1
	}
	// Warnings come once the node serves: a fatal error above is then
	// the only line a failed start prints.
	startNotes(log, cfg)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	refresh, stopRefresh := src.ticks(cfg)
	defer stopRefresh()
	running, got := cfg, os.Signal(nil)
	for got == nil {
		select {
		case s := <-sig:
			if s != syscall.SIGHUP {
				got = s
				break
			}
			reloadTLS(node, log)
			running, file = reloadApps(node, log, running, file, args, src, "SIGHUP")
		case <-changed:
			reloadTLS(node, log)
			running, file = reloadApps(node, log, running, file, args, src, "config file changed")
		case <-refresh:
			running = refreshApps(node, log, running, file, src)
		}
	}
	log.Info("signal received, draining", "signal", got.String())
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown.Drain+10*time.Second)
	defer cancel()
	go func() { // a second SIGTERM or SIGINT stops at once
		for s := range sig {
			if s != syscall.SIGHUP {
				cancel()
				return
			}
		}
	}()
	if err := node.Drain(ctx, cfg.Shutdown.Drain); err != nil {
		log.Warn("drain cut short", "err", err)
	}
	node.Close()
	log.Info("stopped")
	return 0
}

// reloadTLS answers SIGHUP for TLS: the certificate is read again; a bad
// file is logged and the old certificate stays.
func reloadTLS(node *server.Node, log *slog.Logger) {
	switch err := node.ReloadTLS(); {
	case errors.Is(err, server.ErrNoTLS): // nothing to read again
	case err != nil:
		log.Error("SIGHUP: reload failed, keeping the current certificate", "err", err)
	}
}

func newBroker(cfg config.Config, log *slog.Logger) (broker.Broker, error) {
	if !cfg.Redis.Enabled() {
		return broker.NewMemory(), nil
	}
	return newRedisBroker(cfg, log)
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	o := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// startNotes logs, once the node serves, the FANOUT_ variables left
// alone as Kubernetes' or Docker's, the development credentials and every
// weak secret.
func startNotes(log *slog.Logger, cfg config.Config) {
	if len(cfg.IgnoredVariables) > 0 {
		log.Info("ignored FANOUT_ variables that Kubernetes services or Docker links set (not settings)",
			"variables", strings.Join(cfg.IgnoredVariables, ","))
	}
	warnDevelopment(log, cfg)
	for _, w := range cfg.Warnings() {
		log.Warn("weak secret: " + w)
	}
}

// warnDevelopment logs one warning when the built-in development secret is
// in use, saying whether anonymous connections are allowed too.
func warnDevelopment(log *slog.Logger, cfg config.Config) {
	if !cfg.UsesDevCredentials() {
		return
	}
	anonymous := false
	for _, a := range cfg.Apps {
		anonymous = anonymous || a.Auth.Mode != config.AuthRequired
	}
	msg := "development credentials in use (app-id/app-key/app-secret); set apps in a config file for production"
	if anonymous {
		msg = "development credentials in use (app-id/app-key/app-secret) and anonymous connections allowed; set apps in a config file for production"
	}
	log.Warn(msg)
}
