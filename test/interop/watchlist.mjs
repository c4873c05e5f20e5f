// pusher-js's own watchlist handling (pusher.user.watchlist, fed by
// pusher_internal:watchlist_events) against one node or several sharing
// Redis: users sign in with user_data signed by the pusher SDK, some with
// a watchlist. Run through features_test.go (FANOUT_PORTS: one port per
// node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';
import { env, within, until } from './lib.mjs';

const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const key = env('FANOUT_KEY');
const sdk = new PusherServer({ appId: env('FANOUT_APP_ID'), key, secret: env('FANOUT_SECRET'), host, port: ports[0], useTLS: false });
const clients = [];
test.after(() => clients.forEach((c) => c.disconnect()));

// signIn opens a pusher-js client on node n as user id (with watchlist
// when given) and signs in; it resolves once signed in, or with the
// pusher:error that refused it.
async function signIn(n, id, watchlist) {
  const c = new PusherClient(key, {
    wsHost: host, wsPort: ports[n % ports.length], forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
    userAuthentication: {
      customHandler: ({ socketId }, cb) => cb(null, sdk.authenticateUser(socketId, watchlist ? { id, watchlist } : { id })),
    },
  });
  clients.push(c);
  const events = [];
  for (const name of ['online', 'offline']) c.user.watchlist.bind(name, (e) => events.push({ name: e.name, ids: [...e.user_ids].sort() }));
  c.watched = events;
  let refused;
  c.connection.bind('error', (e) => { refused = e; });
  c.signin();
  await within(10000, `${id} signed in`, (async () => {
    while (!c.user.user_data && !refused) await new Promise((r) => setTimeout(r, 20));
  })());
  c.refused = refused;
  return c;
}

// next waits for the watcher's event number i (0-based) and returns it.
async function next(w, i) {
  await until(10000, `watchlist event #${i + 1}`, () => w.watched.length > i);
  return w.watched[i];
}

const last = ports.length - 1;

test('online at sign-in, then first connection online and last connection offline, on every node', async () => {
  const alice = await signIn(last, 'alice');
  assert.ok(alice.user.user_data);
  const w = await signIn(0, 'watcher', ['alice', 'bob', 'carol']);
  assert.deepEqual(await next(w, 0), { name: 'online', ids: ['alice'] });

  const bob1 = await signIn(last, 'bob');
  assert.deepEqual(await next(w, 1), { name: 'online', ids: ['bob'] });
  const bob2 = await signIn(0, 'bob'); // a second connection: not news
  const carol = await signIn(last, 'carol');
  assert.deepEqual(await next(w, 2), { name: 'online', ids: ['carol'] });

  bob1.disconnect(); // bob still has bob2
  carol.disconnect();
  assert.deepEqual(await next(w, 3), { name: 'offline', ids: ['carol'] });
  bob2.disconnect();
  assert.deepEqual(await next(w, 4), { name: 'offline', ids: ['bob'] });
  alice.disconnect();
  assert.deepEqual(await next(w, 5), { name: 'offline', ids: ['alice'] });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(w.watched.length, 6, JSON.stringify(w.watched));
});

test('a watchlist over 100 ids refuses the sign-in with a clear error', async () => {
  const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
  const c = await signIn(0, 'greedy', ids);
  assert.equal(c.user.user_data, null);
  assert.match(JSON.stringify(c.refused), /watchlist has 101 user ids, over the limit of 100/);
  const ok = await signIn(0, 'modest', ids.slice(0, 100));
  assert.ok(ok.user.user_data);
});
