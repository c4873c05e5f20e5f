// Idempotent publishes with the pusher Node SDK, unmodified: the key goes
// in trigger's params (which the SDK merges into the request body) and in
// each event object of triggerBatch. The Go test idempotency_test.go starts
// one node, or two sharing a redis-server, and passes FANOUT_HOST,
// FANOUT_PORTS (comma separated), FANOUT_APP_ID, FANOUT_KEY, FANOUT_SECRET
// and FANOUT_WINDOW_MS (the node's idempotency window).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { env, within, connect as open, subscribe, inbox } from './lib.mjs';

const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const windowMs = Number(env('FANOUT_WINDOW_MS'));
const sdks = ports.map((port) => new PusherServer({ appId, key, secret, host, port, useTLS: false }));
const last = sdks.length - 1;
const run = Date.now().toString(36); // keys of this run only

// listeners subscribes one client per node to name and waits until each
// receives an event published on the first node (a node's broker
// subscription is confirmed a round trip after subscription_succeeded).
async function listeners(name) {
  const chans = await Promise.all(ports.map(async (port, i) => {
    const c = await open({ host, port, key, sdk: sdks[i], user: `u${i}`, timeout: 10000 });
    return subscribe(c, name, 10000);
  }));
  const probes = chans.map((ch) => inbox(ch, 'probe', 10000));
  await within(10000, `every node listening on ${name}`, (async () => {
    while (!probes.every((p) => p.got.length > 0)) {
      await sdks[0].trigger(name, 'probe', 'p');
      await new Promise((r) => setTimeout(r, 50));
    }
  })());
  return chans;
}

// settled publishes a marker from sdk and waits for it on every channel:
// anything published before it from the same node has arrived by then.
async function settled(sdk, chans, name) {
  const marks = chans.map((ch) => inbox(ch, 'mark', 10000));
  assert.equal((await sdk.trigger(name, 'mark', 'm')).status, 200);
  await Promise.all(marks.map((m) => m.next(1)));
}

test('a trigger repeated with the same idempotency_key is delivered once, on every node', async () => {
  const name = `idem-${run}`;
  const chans = await listeners(name);
  const boxes = chans.map((ch) => inbox(ch, 'paid', 10000));
  const params = { idempotency_key: `order-42-${run}` };
  for (const sdk of [sdks[0], sdks[0], sdks[last], sdks[last]]) {
    const res = await sdk.trigger(name, 'paid', { order: 42 }, params);
    assert.equal(res.status, 200); // the repeats too: the backend stops retrying
  }
  await settled(sdks[last], chans, name);
  for (const b of boxes) assert.deepEqual(b.got, [{ order: 42 }]);
  // another key is another event
  assert.equal((await sdks[last].trigger(name, 'paid', { order: 43 }, { idempotency_key: `order-43-${run}` })).status, 200);
  await settled(sdks[0], chans, name);
  for (const b of boxes) assert.deepEqual(b.got, [{ order: 42 }, { order: 43 }]);
});

test('triggerBatch: each event keyed on its own; a repeated batch delivers only the new ones', async () => {
  const name = `idem-batch-${run}`;
  const chans = await listeners(name);
  const boxes = chans.map((ch) => inbox(ch, 'line', 10000));
  const ev = (n) => ({ channel: name, name: 'line', data: JSON.stringify({ n }), idempotency_key: `line-${n}-${run}` });
  assert.equal((await sdks[0].triggerBatch([ev(1), ev(2)])).status, 200);
  assert.equal((await sdks[last].triggerBatch([ev(1), ev(2), ev(3)])).status, 200);
  await settled(sdks[last], chans, name);
  for (const b of boxes) assert.deepEqual(b.got, [{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('past the window, the same key is delivered again', async () => {
  const name = `idem-window-${run}`;
  const chans = await listeners(name);
  const boxes = chans.map((ch) => inbox(ch, 'tick', 10000));
  const params = { idempotency_key: `tick-${run}` };
  assert.equal((await sdks[0].trigger(name, 'tick', 'first', params)).status, 200);
  const accepted = Date.now();
  assert.equal((await sdks[last].trigger(name, 'tick', 'repeat', params)).status, 200);
  await settled(sdks[last], chans, name);
  for (const b of boxes) assert.deepEqual(b.got, ['first']);
  await new Promise((r) => setTimeout(r, Math.max(0, accepted + windowMs + 200 - Date.now())));
  assert.equal((await sdks[last].trigger(name, 'tick', 'again', params)).status, 200);
  await settled(sdks[last], chans, name);
  for (const b of boxes) assert.deepEqual(b.got, ['first', 'again']);
});
