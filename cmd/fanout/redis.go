package main

import (
	"fmt"
	"log/slog"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
)

// newRedisBroker builds the Redis broker for --redis-url or Sentinel.
func newRedisBroker(cfg config.Config, log *slog.Logger) (broker.Broker, error) {
	s := cfg.Redis.Sentinel
	b, err := redis.New(redis.Options{
		URL:     cfg.Redis.DialURL(),
		Cluster: cfg.Redis.Cluster,
		Sentinel: redis.Sentinel{MasterName: s.MasterName, Addrs: s.Addrs,
			Username: s.Username, Password: s.Password},
		Prefix:  cfg.Redis.Prefix,
		NodeTTL: cfg.Redis.NodeTTL,
		Logger:  log,

		StrictRefusals: cfg.Redis.StrictRefusals,
	})
	if err != nil && s.Enabled() {
		return nil, fmt.Errorf("redis.sentinel: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	if s.Enabled() {
		log.Info("scale-out over Redis", "sentinel_master", s.MasterName, "sentinels", s.Addrs, "node", b.NodeID())
	} else {
		log.Info("scale-out over Redis", "cluster", cfg.Redis.Cluster, "node", b.NodeID())
	}
	return b, nil
}
