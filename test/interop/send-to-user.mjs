// pusher-js signs in (user authentication through a custom handler that
// signs with the pusher SDK), then the SDK's sendToUser reaches that
// user's connections and no one else's. Run through sendtouser_test.go.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run through the Go test)`);
  return v;
};
const host = env('FANOUT_HOST');
const port = Number(env('FANOUT_PORT'));
const server = new PusherServer({ appId: env('FANOUT_APP_ID'), key: env('FANOUT_KEY'), secret: env('FANOUT_SECRET'), host, port, useTLS: false });

const clients = [];
after(() => clients.forEach((c) => c.disconnect()));

function within(ms, what, p) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function signedIn(id) {
  const c = new PusherClient(env('FANOUT_KEY'), {
    wsHost: host, wsPort: port, forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
    userAuthentication: {
      customHandler: ({ socketId }, cb) => cb(null, server.authenticateUser(socketId, { id, name: id })),
    },
  });
  clients.push(c);
  await within(30000, 'connected', new Promise((res) => c.connection.bind('connected', res)));
  c.signin();
  // after signin_success pusher-js subscribes to #server-to-user-<id>
  await within(30000, 'user channel subscribed', new Promise((res) => {
    const check = () => (c.user.serverToUserChannel?.subscribed ? res() : setTimeout(check, 20));
    check();
  }));
  return c;
}

test('sendToUser reaches the signed-in user only', async () => {
  const alice = await signedIn('alice');
  const bob = await signedIn('bob');
  const got = { alice: [], bob: [] };
  alice.user.bind('note', (d) => got.alice.push(d));
  bob.user.bind('note', (d) => got.bob.push(d));
  const r = await server.sendToUser('alice', 'note', { text: 'for alice' });
  assert.equal(r.status, 200);
  await within(10000, 'delivery', new Promise((res) => {
    const check = () => (got.alice.length ? res() : setTimeout(check, 20));
    check();
  }));
  assert.deepEqual(got.alice, [{ text: 'for alice' }]);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(got.bob, []);
});
