// pusher-js with the fanout recovery helper (client/pusher-recovery): a
// subscriber loses its socket, events go out meanwhile, and after
// pusher-js reconnects by itself the helper's recover position brings
// back every event once, in order. The Go test recovery_test.go starts
// the node(s), a proxy in front of them that it cuts on request
// (FANOUT_PROXY_PORT, FANOUT_CONTROL), and passes FANOUT_PORTS and
// FANOUT_MODE (single or redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';
import { env, within, until } from './lib.mjs';
import { recovery, RECOVERY_EVENT } from '../../client/pusher-recovery/index.js';

const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const proxyPort = Number(env('FANOUT_PROXY_PORT'));
const control = env('FANOUT_CONTROL');
const mode = env('FANOUT_MODE');
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const sdks = ports.map((port) => new PusherServer({ appId, key, secret, host, port, useTLS: false }));
const last = sdks.length - 1;

const ctl = async (path) => {
  const res = await fetch(control + path, { method: 'POST' });
  assert.equal(res.status, 200, path);
};

const clients = [];
test.after(() => clients.forEach((c) => c.disconnect()));

// open connects a pusher-js client through the proxy, with the helper.
async function open() {
  const c = new PusherClient(key, {
    wsHost: host, wsPort: proxyPort, forceTLS: false, enabledTransports: ['ws'],
    cluster: 'mt1', disableStats: true,
  });
  clients.push(c);
  recovery(c);
  await within(10000, 'connected', new Promise((res) => c.connection.bind('connected', res)));
  return c;
}

// watch subscribes and records the data of every "n" event and every
// recovery outcome.
async function watch(c, name) {
  const ch = c.subscribe(name);
  const got = [];
  const outcomes = [];
  ch.bind('n', (d) => got.push(d.i));
  ch.bind(RECOVERY_EVENT, (o) => outcomes.push(o));
  await within(10000, `subscribed to ${name}`, new Promise((res) => ch.bind('pusher:subscription_succeeded', res)));
  return { got, outcomes };
}

async function publish(sdk, name, from, to) {
  for (let i = from; i <= to; i++) {
    const res = await sdk.trigger(name, 'n', { i });
    assert.equal(res.status, 200);
  }
}

const seq = (from, to) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

// away cuts the client off (or drains its node), publishes while it is
// away, and lets it back (on the last node over Redis).
async function away(c, how, fn) {
  const reconnected = new Promise((res) => c.connection.bind('state_change', (s) => {
    if (s.current === 'connected') res();
  }));
  if (how === 'drain') {
    await ctl('/target?node=' + last);
    await ctl('/drain?node=0');
  } else {
    await ctl('/cut');
    if (mode === 'redis') await ctl('/target?node=' + last);
  }
  await until(10000, 'client noticed', () => c.connection.state !== 'connected');
  await fn();
  await ctl('/up');
  await within(30000, 'pusher-js reconnected', reconnected);
}

test('socket cut: 100 events missed are recovered once each, in order', async () => {
  const c = await open();
  const w = await watch(c, 'orders-cut');
  await publish(sdks[0], 'orders-cut', 1, 5);
  await until(10000, '5 live events', () => w.got.length >= 5);
  await away(c, 'cut', () => publish(sdks[last], 'orders-cut', 6, 105));
  await until(15000, 'recovery outcome', () => w.outcomes.length > 0);
  assert.equal(w.outcomes[0].recovered, true);
  await until(15000, '105 events', () => w.got.length >= 105);
  await publish(sdks[last], 'orders-cut', 106, 110);
  await until(10000, '110 events', () => w.got.length >= 110);
  await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up
  assert.deepEqual(w.got, seq(1, 110));
});

test('trimmed history: the client is told recovery failed', async () => {
  const c = await open();
  const w = await watch(c, 'short-cut');
  await publish(sdks[0], 'short-cut', 1, 2);
  await until(10000, '2 live events', () => w.got.length >= 2);
  await away(c, 'cut', () => publish(sdks[last], 'short-cut', 3, 30)); // only 26..30 kept
  await until(15000, 'recovery outcome', () => w.outcomes.length > 0);
  assert.equal(w.outcomes[0].recovered, false);
  assert.deepEqual(w.got, [1, 2]); // no silent partial replay
  await publish(sdks[last], 'short-cut', 31, 31);
  await until(10000, 'live after a failed recovery', () => w.got.length >= 3);
  assert.deepEqual(w.got, [1, 2, 31]);
});

test('an unmodified pusher-js client sees no recovery fields as events', async () => {
  const c = new PusherClient(key, {
    wsHost: host, wsPort: ports[last], forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
  });
  clients.push(c);
  const ch = c.subscribe('orders-plain');
  const got = [];
  ch.bind('n', (d, meta) => got.push(d.i));
  await within(10000, 'subscribed', new Promise((res) => ch.bind('pusher:subscription_succeeded', res)));
  await publish(sdks[last], 'orders-plain', 1, 3);
  await until(10000, '3 events', () => got.length >= 3);
  assert.deepEqual(got, [1, 2, 3]);
});

if (mode === 'redis') {
  test('node drain: the client comes back on the other node with every event', async () => {
    await ctl('/target?node=0');
    const c = await open();
    const w = await watch(c, 'orders-drain');
    await publish(sdks[last], 'orders-drain', 1, 5);
    await until(10000, '5 live events', () => w.got.length >= 5);
    await away(c, 'drain', () => publish(sdks[last], 'orders-drain', 6, 105));
    await until(15000, 'recovery outcome', () => w.outcomes.length > 0);
    assert.equal(w.outcomes[0].recovered, true);
    await until(15000, '105 events', () => w.got.length >= 105);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(w.got, seq(1, 105));
  });
}
