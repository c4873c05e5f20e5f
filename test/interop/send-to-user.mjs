// pusher-js signs in (user authentication signed by the pusher SDK, as an
// app's endpoint would), then the SDK's sendToUser reaches that user's
// connections and no one else's. Run through sendtouser_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { env, until, connect } from './lib.mjs';

const host = env('FANOUT_HOST');
const port = Number(env('FANOUT_PORT'));
const key = env('FANOUT_KEY');
const server = new PusherServer({ appId: env('FANOUT_APP_ID'), key, secret: env('FANOUT_SECRET'), host, port, useTLS: false });


async function signedIn(id) {
  const c = await connect({ host, port, key, sdk: server, user: id });
  c.signin();
  // after signin_success pusher-js subscribes to #server-to-user-<id>
  await until(10000, `${id}'s user channel`, () => c.user.serverToUserChannel?.subscribed);
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
  await until(10000, 'delivery to alice', () => got.alice.length > 0);
  assert.deepEqual(got.alice, [{ text: 'for alice' }]);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(got.bob, []);
});
