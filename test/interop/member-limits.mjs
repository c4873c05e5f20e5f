// pusher-js presence members at and over Pusher's member limits (user id
// of 128 characters, 1 KiB of channel_data), authorized by the pusher
// SDK: the public bug case of a 200-character user_id or 8 KiB of
// user_info is refused with pusher:subscription_error naming the limit,
// and the members already in the channel never see it. Run through
// features_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';
import { env, within, subscribe, inbox } from './lib.mjs';

const host = env('FANOUT_HOST');
const port = Number(env('FANOUT_PORT'));
const key = env('FANOUT_KEY');
const server = new PusherServer({ appId: env('FANOUT_APP_ID'), key, secret: env('FANOUT_SECRET'), host, port, useTLS: false });
const clients = [];
test.after(() => clients.forEach((c) => c.disconnect()));

// member opens a pusher-js client whose presence authorization carries
// exactly the given member object.
async function member(obj) {
  const c = new PusherClient(key, {
    wsHost: host, wsPort: port, forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
    channelAuthorization: { customHandler: ({ socketId, channelName }, cb) => cb(null, server.authorizeChannel(socketId, channelName, obj)) },
  });
  clients.push(c);
  await within(10000, 'connected', new Promise((res) => c.connection.bind('connected', res)));
  return c;
}

function refused(c, name) {
  const ch = c.subscribe(name);
  return within(10000, `subscription_error on ${name}`, new Promise((res, rej) => {
    ch.bind('pusher:subscription_error', res);
    ch.bind('pusher:subscription_succeeded', () => rej(new Error('admitted over the limit')));
  }));
}

const name = 'presence-limits';

test('members at the limits are admitted, members over them refused', async () => {
  const first = await member({ user_id: 'first' });
  const ch = await subscribe(first, name, 10000);
  const added = inbox(ch, 'pusher:member_added', 10000);

  const id128 = 'i'.repeat(128);
  await subscribe(await member({ user_id: id128 }), name, 10000);
  // channel_data is {"user_id":"s","user_info":{"p":"..."}}: pad to 1024 bytes.
  const pad = 1024 - JSON.stringify({ user_id: 's', user_info: { p: '' } }).length;
  await subscribe(await member({ user_id: 's', user_info: { p: 'x'.repeat(pad) } }), name, 10000);
  assert.deepEqual((await added.next(2)).map((m) => m.id), [id128, 's']);

  const e1 = await refused(await member({ user_id: 'u'.repeat(200) }), name);
  assert.equal(e1.status, 400);
  assert.match(e1.error, /max_presence_member_id_length \(128\)/);
  const e2 = await refused(await member({ user_id: 'big', user_info: { blob: 'x'.repeat(8 << 10) } }), name);
  assert.match(e2.error, /max_presence_member_size \(1024\)/);
  const e3 = await refused(await member({ user_id: 'one-more', user_info: { p: 'x'.repeat(pad - 7 + 1) } }), name);
  assert.match(e3.error, /max_presence_member_size/);

  // A marker published after the refusals arrives with no member between.
  const marker = inbox(ch, 'marker', 10000);
  await server.trigger(name, 'marker', 'after');
  await marker.next();
  assert.equal(added.got.length, 2);
  assert.equal(ch.members.count, 3);
  const users = await server.get({ path: `/channels/${name}/users` });
  assert.equal((await users.json()).users.length, 3);
});
