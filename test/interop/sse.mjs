// Server-Sent Events with real clients: the npm `eventsource` package
// (the WHATWG EventSource for Node) receives events published with the
// `pusher` Node SDK on a public channel and, with a token grant, a private
// one; when the server cuts the stream (the SDK terminates the user's
// connections), the EventSource reconnects by itself with Last-Event-ID
// and, on a channel with history, gets every event once, in order. The
// Go test sse_test.go starts the node and passes the app and two tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import PusherServer from 'pusher';
import { env, within, until } from './lib.mjs';

const host = env('FANOUT_HOST');
const port = env('FANOUT_PORT');
const key = env('FANOUT_KEY');
const token = env('SSE_TOKEN'); // sub "sse-user", grants private-sse-*
const sdk = new PusherServer({ appId: env('FANOUT_APP_ID'), key, secret: env('FANOUT_SECRET'), host, port, useTLS: false });

const streams = [];
test.after(() => streams.forEach((s) => s.close()));

function url(channels, extra = '') {
  const q = channels.map((c) => 'channel=' + encodeURIComponent(c)).join('&');
  return `http://${host}:${port}/app/${key}/sse?${q}${extra}`;
}

// open connects and resolves once the stream is open.
async function open(u, init) {
  const es = new EventSource(u, init);
  streams.push(es);
  await within(10000, 'stream open', new Promise((res, rej) => {
    es.onopen = res;
    es.onerror = (e) => rej(new Error('stream error: ' + (e.message || e.code)));
  }));
  es.onerror = null;
  return es;
}

test('public and private channel events from the pusher SDK', async () => {
  const es = await open(url(['news', 'private-sse-inbox']), {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, Authorization: 'Bearer ' + token } }),
  });
  const got = [];
  es.addEventListener('greeting', (e) => got.push({ ...JSON.parse(e.data), id: e.lastEventId }));
  await sdk.trigger('news', 'greeting', { text: 'hello, news' });
  await sdk.trigger('private-sse-inbox', 'greeting', { text: 'hello, inbox' });
  await until(10000, 'two events', () => got.length === 2);
  assert.deepEqual(got.map((g) => [g.channel, JSON.parse(g.data).text]),
    [['news', 'hello, news'], ['private-sse-inbox', 'hello, inbox']]);
});

test('refusals: bad token 401, unknown key 404, private channel without grant 403', async () => {
  const st = async (u, h = {}) => (await fetch(u, { headers: h })).status;
  assert.equal(await st(url(['private-sse-inbox']), { Authorization: 'Bearer nope' }), 401);
  assert.equal(await st(url(['news']).replace(`/app/${key}/`, '/app/unknown/')), 404);
  assert.equal(await st(url(['private-other'], '&token=' + token)), 403);
});

test('reconnects after a cut and resumes by Last-Event-ID on a history channel', async () => {
  const es = await open(url(['orders-sse'], '&token=' + token));
  const got = [];
  let opens = 1;
  es.onopen = () => { opens++; };
  es.addEventListener('n', (e) => got.push(JSON.parse(JSON.parse(e.data).data).n));
  es.addEventListener('fanout:recovery_failed', () => got.push('recovery failed'));
  for (let n = 1; n <= 5; n++) await sdk.trigger('orders-sse', 'n', { n });
  await until(10000, 'first five', () => got.length === 5);
  await sdk.terminateUserConnections('sse-user'); // the server cuts the stream
  for (let n = 6; n <= 30; n++) await sdk.trigger('orders-sse', 'n', { n });
  await until(20000, 'reconnected', () => opens === 2);
  for (let n = 31; n <= 35; n++) await sdk.trigger('orders-sse', 'n', { n });
  await until(20000, 'all 35', () => got.length >= 35);
  assert.deepEqual(got, Array.from({ length: 35 }, (_, i) => i + 1));
});
