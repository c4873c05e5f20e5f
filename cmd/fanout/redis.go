package main

import (
	"errors"
	"log/slog"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
)

// newRedisBroker builds the Redis broker for --redis-url.
func newRedisBroker(cfg config.Config, log *slog.Logger) (broker.Broker, error) {
	return nil, errors.New("redis.url: the Redis broker is not built into this version yet")
}
