// pusher-js's own handling of pusher_internal:subscription_count
// (channel.subscriptionCount and the pusher:subscription_count event)
// against one node or several sharing Redis, with the pusher SDK reading
// the same count through the HTTP API. Run through features_test.go,
// which sets FANOUT_PORTS (one port per node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { env, until, connect, subscribe } from './lib.mjs';

const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const key = env('FANOUT_KEY');
const sdks = ports.map((port) => new PusherServer({ appId: env('FANOUT_APP_ID'), key, secret: env('FANOUT_SECRET'), host, port, useTLS: false }));

const node = (i) => i % ports.length;

async function viewer(i, name) {
  const c = await connect({ host, port: ports[node(i)], key, sdk: sdks[node(i)], user: `v${i}`, timeout: 10000 });
  const ch = await subscribe(c, name, 10000);
  const seen = [];
  ch.bind('pusher:subscription_count', (d) => seen.push(d.subscription_count));
  return { c, ch, seen };
}

// everyone waits until each viewer's channel says n, and the HTTP API of
// every node agrees.
async function everyone(vs, n) {
  await until(10000, `subscriptionCount ${n} on ${vs.length} viewers`, () => vs.every((v) => v.ch.subscriptionCount === n));
  for (const sdk of sdks) {
    const r = await sdk.get({ path: `/channels/${vs[0].ch.name}`, params: { info: 'subscription_count' } });
    assert.equal((await r.json()).subscription_count, n);
  }
}

test('subscribers see the channel count on every node, and the HTTP API agrees', async () => {
  const name = 'viewers';
  const vs = [await viewer(0, name)];
  await everyone(vs, 1);
  vs.push(await viewer(1, name));
  await everyone(vs, 2);
  vs.push(await viewer(2, name));
  await everyone(vs, 3);
  assert.ok(vs[0].seen.length >= 2, `the first viewer's events: ${vs[0].seen}`);
  vs[1].c.disconnect();
  const rest = [vs[0], vs[2]];
  await everyone(rest, 2);
  rest[1].c.unsubscribe(name);
  await everyone([vs[0]], 1);
});

test('a burst of joins across nodes settles on the exact count', async () => {
  const name = 'burst';
  const vs = await Promise.all(Array.from({ length: 12 }, (_, i) => viewer(i, name)));
  await everyone(vs, 12);
  // Coalesced: the first viewer saw far fewer events than 12 changes.
  assert.ok(vs[0].seen.length < 12, `events seen: ${vs[0].seen}`);
});
