package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// Idempotency keys, cluster-wide: one string key per publish key,
// <prefix>:idem:<key>, holding "p:<token>" while an attempt holds it (with
// the lease as its expiry) and "done" once accepted (with the window as
// its expiry). Redis's expiry bounds their number: at most the keys
// accepted within one window.

// claimScript: KEYS[1] the key; ARGV token value, lease in ms. It returns
// 0 when it took the key, 1 when it is done, 2 when another attempt holds
// it. One script, so that two nodes claiming at once cannot both win.
var claimScript = rueidis.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 0
end
if v == 'done' then return 1 end
return 2
`)

// releaseScript deletes KEYS[1] only while it still holds ARGV[1] (an
// idempotency key's claim, a webhook stream's lease).
var releaseScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

func (b *Broker) idemKey(key string) string { return b.opts.Prefix + ":idem:" + key }

// Claim implements broker.Idempotency. It fails with
// broker.ErrUnavailable wrapped with Redis's error when Redis cannot be
// reached: the caller must not publish then.
func (b *Broker) Claim(ctx context.Context, key string, lease time.Duration) (broker.ClaimState, string, error) {
	ctx, cancel := b.call(ctx)
	defer cancel()
	token := broker.NewClaimToken()
	n, err := claimScript.Exec(ctx, b.client, []string{b.idemKey(key)},
		[]string{"p:" + token, strconv.FormatInt(max(lease.Milliseconds(), 1), 10)}).AsInt64()
	if err != nil {
		return 0, "", idemError(err)
	}
	switch n {
	case 0:
		return broker.Claimed, token, nil
	case 1:
		return broker.Duplicate, "", nil
	}
	return broker.InFlight, "", nil
}

// Confirm implements broker.Idempotency: the key is done for window,
// whoever held it (the publish was accepted).
func (b *Broker) Confirm(ctx context.Context, key, _ string, window time.Duration) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	err := b.client.Do(ctx, b.client.B().Set().Key(b.idemKey(key)).Value("done").PxMilliseconds(max(window.Milliseconds(), 1)).Build()).Error()
	return idemError(err)
}

// Release implements broker.Idempotency.
func (b *Broker) Release(ctx context.Context, key, token string) error {
	ctx, cancel := b.call(ctx)
	defer cancel()
	err := releaseScript.Exec(ctx, b.client, []string{b.idemKey(key)}, []string{"p:" + token}).Error()
	return idemError(err)
}

func idemError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: idempotency key: %v", broker.ErrUnavailable, err)
}
