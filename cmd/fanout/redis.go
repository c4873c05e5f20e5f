package main

import (
	"fmt"
	"log/slog"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
)

// newRedisBroker builds the Redis broker for --redis-url.
func newRedisBroker(cfg config.Config, log *slog.Logger) (broker.Broker, error) {
	b, err := redis.New(redis.Options{
		URL:     cfg.Redis.DialURL(),
		Cluster: cfg.Redis.Cluster,
		Prefix:  cfg.Redis.Prefix,
		NodeTTL: cfg.Redis.NodeTTL,
		Logger:  log,
	})
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	log.Info("scale-out over Redis", "cluster", cfg.Redis.Cluster, "node", b.NodeID())
	return b, nil
}
