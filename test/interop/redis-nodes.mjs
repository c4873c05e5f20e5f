// pusher-js clients and the pusher Node SDK, unmodified, against several
// `fanout serve` processes that share one Redis. The Go test
// broker/redis/process_test.go starts Redis and the nodes and passes
// FANOUT_HOST, FANOUT_PORTS (comma separated), FANOUT_APP_ID, FANOUT_KEY,
// FANOUT_SECRET.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run through broker/redis/process_test.go)`);
  return v;
};
const host = env('FANOUT_HOST');
const ports = env('FANOUT_PORTS').split(',').map(Number);
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const sdks = ports.map((port) => new PusherServer({ appId, key, secret, host, port, useTLS: false }));

const clients = [];
after(() => clients.forEach((c) => c.disconnect()));

function within(ms, what, p) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function connect(node, user) {
  const sdk = sdks[node];
  const c = new PusherClient(key, {
    wsHost: host, wsPort: ports[node], forceTLS: false, enabledTransports: ['ws'],
    cluster: 'mt1', disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, cb) => {
        const data = channelName.startsWith('presence-') ? { user_id: user, user_info: { name: user } } : undefined;
        cb(null, sdk.authorizeChannel(socketId, channelName, data));
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, cb) => cb(null, sdk.authenticateUser(socketId, { id: user })),
    },
  });
  clients.push(c);
  await within(10000, 'connected', new Promise((res, rej) => {
    c.connection.bind('connected', res);
    c.connection.bind('failed', () => rej(new Error('connection failed')));
  }));
  return c;
}

async function subscribe(c, name) {
  const ch = c.subscribe(name);
  await within(10000, `subscribed to ${name}`, new Promise((res, rej) => {
    ch.bind('pusher:subscription_succeeded', res);
    ch.bind('pusher:subscription_error', (e) => rej(new Error(`subscription_error ${JSON.stringify(e)}`)));
  }));
  return ch;
}

function inbox(ch, event) {
  const got = [];
  const waiters = [];
  ch.bind(event, (data) => { got.push(data); waiters.splice(0).forEach((w) => w()); });
  return {
    got,
    async next(n = 1) {
      await within(10000, `${n} x ${event} on ${ch.name}`, (async () => {
        while (got.length < n) await new Promise((r) => waiters.push(r));
      })());
      return got.slice(0, n);
    },
  };
}

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

test('socket_id on another node is excluded', async () => {
  const a = await connect(0, 'a');
  const b = await connect(ports.length - 1, 'b');
  const ca = await subscribe(a, 'exclude');
  const cb = await subscribe(b, 'exclude');
  await settle([ca, cb], 'exclude');
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
