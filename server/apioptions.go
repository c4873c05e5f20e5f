package server

import (
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/httpapi"
)

// apiOptions completes o with the HTTP API's idempotency settings: keys
// kept in the broker when it shares them across nodes (Redis), else in
// this process's memory.
func (n *Node) apiOptions(o httpapi.Options) httpapi.Options {
	ic := n.cfg.Idempotency
	o.IdempotencyWindow = ic.Window
	if ic.Window == 0 {
		o.IdempotencyWindow = -1 // off
	}
	if s, ok := n.broker.(broker.Idempotency); ok {
		o.Idempotency = s
	} else {
		o.Idempotency = broker.NewMemoryIdempotency(ic.MaxKeys, nil)
	}
	o.Duplicate = n.Metrics.PublishDuplicate
	return o
}
