// pusher-js (client) and the pusher Node SDK (HTTP API), unmodified,
// against a fanout node. The Go test interop_test.go starts the node and
// passes FANOUT_HOST, FANOUT_PORT, FANOUT_APP_ID, FANOUT_KEY, FANOUT_SECRET,
// and FANOUT_TLS=1 when the node terminates TLS itself (the clients then use
// forceTLS / useTLS and trust the CA in NODE_EXTRA_CA_CERTS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { env, within, until, connect as open, subscribe, inbox } from './lib.mjs';

const host = env('FANOUT_HOST');
const port = Number(env('FANOUT_PORT'));
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const tls = process.env.FANOUT_TLS === '1';

const server = new PusherServer({ appId, key, secret, host, port, useTLS: tls });

async function connect(user) {
  const c = await open({ host, port, key, sdk: server, user, tls });
  assert.match(c.connection.socket_id, /^\d+\.\d+$/);
  return c;
}

test('connect, subscribe, trigger: every subscriber receives', async () => {
  const a = await connect('a');
  const b = await connect('b');
  const ia = inbox(await subscribe(a, 'interop-public'), 'greeting');
  const ib = inbox(await subscribe(b, 'interop-public'), 'greeting');
  const res = await server.trigger('interop-public', 'greeting', { text: 'hello' });
  assert.equal(res.status, 200);
  assert.deepEqual(await ia.next(), [{ text: 'hello' }]);
  assert.deepEqual(await ib.next(), [{ text: 'hello' }]);
});

test('trigger to several channels at once', async () => {
  const a = await connect('a');
  const i1 = inbox(await subscribe(a, 'multi-1'), 'ev');
  const i2 = inbox(await subscribe(a, 'multi-2'), 'ev');
  await server.trigger(['multi-1', 'multi-2'], 'ev', 'both');
  assert.deepEqual(await i1.next(), ['both']);
  assert.deepEqual(await i2.next(), ['both']);
});

test('triggerBatch delivers each event to its channel', async () => {
  const a = await connect('a');
  const i1 = inbox(await subscribe(a, 'batch-1'), 'one');
  const i2 = inbox(await subscribe(a, 'batch-2'), 'two');
  const res = await server.triggerBatch([
    { channel: 'batch-1', name: 'one', data: JSON.stringify({ n: 1 }) },
    { channel: 'batch-2', name: 'two', data: JSON.stringify({ n: 2 }) },
  ]);
  assert.equal(res.status, 200);
  assert.deepEqual(await i1.next(), [{ n: 1 }]);
  assert.deepEqual(await i2.next(), [{ n: 2 }]);
});

test('socket_id excludes the sender', async () => {
  const a = await connect('a');
  const b = await connect('b');
  const ia = inbox(await subscribe(a, 'exclude'), 'ev');
  const ib = inbox(await subscribe(b, 'exclude'), 'ev');
  await server.trigger('exclude', 'ev', 'not for a', { socket_id: a.connection.socket_id });
  assert.deepEqual(await ib.next(), ['not for a']);
  // A marker sent to everyone after it: a's first event must be the marker.
  await server.trigger('exclude', 'ev', 'marker');
  assert.deepEqual(await ib.next(2), ['not for a', 'marker']);
  assert.deepEqual(await ia.next(), ['marker']);
  assert.deepEqual(ia.got, ['marker']);
});

test('channel info through the SDK get()', async () => {
  const a = await connect('a');
  const b = await connect('b');
  await subscribe(a, 'info-chan');
  await subscribe(b, 'info-chan');
  const res = await server.get({ path: '/channels/info-chan', params: { info: 'subscription_count' } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.occupied, true);
  assert.equal(body.subscription_count, 2);
  const list = await (await server.get({ path: '/channels', params: { filter_by_prefix: 'info-' } })).json();
  assert.ok('info-chan' in list.channels, JSON.stringify(list));
});

test('private channel authorized by the SDK', async () => {
  const a = await connect('a');
  const ia = inbox(await subscribe(a, 'private-interop'), 'secret');
  await server.trigger('private-interop', 'secret', { s: 1 });
  assert.deepEqual(await ia.next(), [{ s: 1 }]);
});

test('presence channel: members, member_added, users API', async () => {
  const a = await connect('alice');
  const chA = await subscribe(a, 'presence-interop');
  assert.equal(chA.members.count, 1);
  const added = new Promise((res) => chA.bind('pusher:member_added', res));
  const b = await connect('bob');
  const chB = await subscribe(b, 'presence-interop');
  assert.equal(chB.members.count, 2);
  const m = await within(30000, 'member_added', added);
  assert.equal(m.id, 'bob');
  assert.deepEqual(m.info, { name: 'bob' });
  const users = await (await server.get({ path: '/channels/presence-interop/users' })).json();
  assert.deepEqual(users.users.map((u) => u.id).sort(), ['alice', 'bob']);
});

test('a repeated presence subscribe gets Pusher\'s "Existing subscription" error', async () => {
  const a = await connect('carol');
  const ch = await subscribe(a, 'presence-resub');
  const ev = inbox(ch, 'ev');
  const errors = [];
  a.connection.bind('error', (e) => errors.push(e));
  // pusher-js does not resubscribe a channel it holds; send the event as a
  // buggy app would, with a valid signature.
  const socketId = a.connection.socket_id;
  const data = { user_id: 'carol', user_info: { name: 'carol' } };
  a.send_event('pusher:subscribe', { channel: 'presence-resub', ...server.authorizeChannel(socketId, 'presence-resub', data) });
  await until(30000, 'pusher:error for the repeated subscribe', () => errors.length > 0);
  assert.equal(errors[0].data.code, null);
  assert.equal(errors[0].data.message, 'Existing subscription to channel presence-resub');
  assert.equal(ch.subscribed, true);
  assert.equal(ch.members.count, 1);
  await server.trigger('presence-resub', 'ev', 'once');
  assert.deepEqual(await ev.next(), ['once']);
});
