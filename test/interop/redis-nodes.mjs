// pusher-js clients and the pusher Node SDK, unmodified, against several
// `fanout serve` processes that share one Redis. The Go test
// broker/redis/process_test.go starts Redis and the nodes and passes
// FANOUT_HOST, FANOUT_PORTS (comma separated), FANOUT_APP_ID, FANOUT_KEY,
// FANOUT_SECRET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { env, within, until, connect as open, subscribe as sub, inbox as box } from './lib.mjs';

const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const sdks = ports.map((port) => new PusherServer({ appId, key, secret, host, port, useTLS: false }));

function connect(node, user) {
  return open({ host, port: ports[node], key, sdk: sdks[node], user, timeout: 10000 });
}

const subscribe = (c, name) => sub(c, name, 10000);
const inbox = (ch, event) => box(ch, event, 10000);

// settle waits until every node listens on a channel: a node's Redis
// subscription is confirmed a round trip after subscription_succeeded.
async function settle(channels, name) {
  const probes = channels.map((ch) => inbox(ch, 'probe'));
  await within(10000, `every node listening on ${name}`, (async () => {
    while (!probes.every((p) => p.got.length > 0)) {
      await sdks[0].trigger(name, 'probe', 'p');
      await new Promise((r) => setTimeout(r, 50));
    }
  })());
}

test('an event published on one node reaches every node, in order', async () => {
  const cs = await Promise.all(ports.map((_, i) => connect(i, `u${i}`)));
  const chans = await Promise.all(cs.map((c) => subscribe(c, 'orders')));
  await settle(chans, 'orders');
  const boxes = chans.map((ch) => inbox(ch, 'n'));
  for (let i = 0; i < 20; i++) {
    const res = await sdks[i % ports.length].trigger('orders', 'n', { i });
    assert.equal(res.status, 200);
  }
  const want = Array.from({ length: 20 }, (_, i) => ({ i }));
  for (const b of boxes) assert.deepEqual(await b.next(20), want);
});

// pair puts user ua on the first node and ub on the last, both subscribed
// to name and the channel settled on every node.
async function pair(name, ua, ub) {
  const a = await connect(0, ua);
  const b = await connect(ports.length - 1, ub);
  const ca = await subscribe(a, name);
  const cb = await subscribe(b, name);
  await settle([ca, cb], name);
  return { a, b, ca, cb };
}

test('socket_id on another node is excluded', async () => {
  const { b, ca, cb } = await pair('exclude', 'a', 'b');
  const ia = inbox(ca, 'ev');
  const ib = inbox(cb, 'ev');
  await sdks[0].trigger('exclude', 'ev', 'not for b', { socket_id: b.connection.socket_id });
  await sdks[0].trigger('exclude', 'ev', 'marker');
  assert.deepEqual(await ia.next(2), ['not for b', 'marker']);
  assert.deepEqual(await ib.next(), ['marker']);
  assert.deepEqual(ib.got, ['marker']);
});

test('presence and channel info are cluster-wide', async () => {
  const name = 'presence-lobby';
  const first = await connect(0, 'm0');
  const ch0 = await subscribe(first, name);
  const added = inbox(ch0, 'pusher:member_added');
  const removed = inbox(ch0, 'pusher:member_removed');
  await settle([ch0], name);
  const others = [];
  for (let i = 1; i < ports.length; i++) {
    const c = await connect(i, `m${i}`);
    const ch = await subscribe(c, name);
    assert.equal(ch.members.count, i + 1, `member m${i} on node ${i} sees every node's members`);
    others.push(c);
  }
  assert.deepEqual((await added.next(ports.length - 1)).map((m) => m.id).sort(), others.map((_, i) => `m${i + 1}`));
  const ids = ports.map((_, i) => `m${i}`);
  for (const sdk of sdks) {
    const users = await (await sdk.get({ path: `/channels/${name}/users` })).json();
    assert.deepEqual(users.users.map((u) => u.id).sort(), ids);
    const info = await (await sdk.get({ path: `/channels/${name}`, params: { info: 'user_count,subscription_count' } })).json();
    assert.equal(info.user_count, ports.length);
    assert.equal(info.subscription_count, ports.length);
  }
  others[others.length - 1].disconnect();
  assert.deepEqual((await removed.next()).map((m) => m.id), [`m${ports.length - 1}`]);
});

test('client events on a private channel cross nodes, never echoed', async () => {
  const { ca, cb } = await pair('private-chat', 'writer', 'reader');
  const ia = inbox(ca, 'client-typing');
  const ib = inbox(cb, 'client-typing');
  const marker = inbox(ca, 'marker');
  assert.equal(ca.trigger('client-typing', { who: 'writer' }), true);
  assert.deepEqual(await ib.next(), [{ who: 'writer' }]);
  await sdks[0].trigger('private-chat', 'marker', 'm'); // after the client event on every node
  await marker.next();
  assert.deepEqual(ia.got, []);
});

test('sendToUser on one node reaches the user signed in on another', async () => {
  const c = await connect(ports.length - 1, 'dest');
  c.signin();
  await until(10000, "dest's user channel", () => c.user.serverToUserChannel?.subscribed);
  const got = [];
  c.user.bind('note', (d) => got.push(d));
  // The user channel's Redis subscription lands a round trip after its
  // subscription_succeeded: retry until the first note arrives.
  await within(10000, 'a note across nodes', (async () => {
    while (got.length === 0) {
      const r = await sdks[0].sendToUser('dest', 'note', { n: 1 });
      assert.equal(r.status, 200);
      await new Promise((r) => setTimeout(r, 100));
    }
  })());
  assert.deepEqual(got[0], { n: 1 });
});

test('terminate_connections on one node closes the user on another', async () => {
  const c = await connect(ports.length - 1, 'victim');
  c.signin();
  await within(10000, 'signin', c.user.signinDonePromise);
  const closed = within(10000, 'victim disconnected', new Promise((res) => {
    c.connection.bind('state_change', (s) => { if (s.current !== 'connected') res(); });
  }));
  const res = await sdks[0].terminateUserConnections('victim');
  assert.equal(res.status, 200);
  await closed;
});
