// pusher-js over wss:// and the pusher SDK over https:// through the
// shipped nginx and HAProxy configurations, in front of two fanout nodes
// sharing a Redis; then one node drains. proxy_test.go starts everything
// and passes FANOUT_PROXIES (name=host:port,...), FANOUT_APP_ID,
// FANOUT_KEY, FANOUT_SECRET, FANOUT_DRAIN_PID and FANOUT_DRAIN_ADDR (the
// node to drain), and NODE_EXTRA_CA_CERTS (the CA of the proxies'
// certificate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PusherClient from 'pusher-js';
import PusherServer from 'pusher';
import { env, within, connect, subscribe, inbox } from './lib.mjs';

const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const drainPid = Number(env('FANOUT_DRAIN_PID'));
const drainAddr = env('FANOUT_DRAIN_ADDR');
const proxies = env('FANOUT_PROXIES').split(',').map((p) => {
  const [name, addr] = p.split('=');
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i);
  const port = Number(addr.slice(i + 1));
  return { name, host, port, sdk: new PusherServer({ appId, key, secret, host, port, useTLS: true }) };
});

// Every WebSocket pusher-js opens goes through Runtime.createWebSocket;
// an upgrade the proxy answers with an error status fails before 'open'.
// pusher-js retries such a failure on its own (after a back-off), so only
// this record shows that a new socket was refused.
const upgrades = { started: 0, failed: [] };
const createWebSocket = PusherClient.Runtime.createWebSocket;
PusherClient.Runtime.createWebSocket = function (url) {
  const ws = createWebSocket.call(this, url);
  const via = proxies.find((p) => url.includes(`//${p.host}:${p.port}/`))?.name ?? url;
  upgrades.started++;
  let open = false;
  ws.addEventListener('open', () => { open = true; });
  ws.addEventListener('error', (e) => { if (!open) upgrades.failed.push(`${via}: ${e.message}`); });
  return ws;
};

// refusals summarizes the failed upgrades per proxy and reason.
function refusals() {
  const n = {};
  for (const f of upgrades.failed) n[f] = (n[f] ?? 0) + 1;
  return `${upgrades.failed.length} of ${upgrades.started} upgrades refused: ${JSON.stringify(n)}`;
}

function open(p, user) {
  return connect({ host: p.host, port: p.port, key, sdk: p.sdk, user, tls: true, timeout: 15000 });
}

// subscribeAll connects n clients through p to channel and returns their
// inboxes of event.
async function subscribeAll(p, n, channel, event) {
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => open(p, `${p.name}-${channel}-${i}`)));
  return Promise.all(clients.map(async (c) => inbox(await subscribe(c, channel, 15000), event, 15000)));
}

// publishEach publishes one event through each proxy and checks every
// inbox got all of them, whichever node its socket and the publish took.
async function publishEach(channel, event, inboxes) {
  for (const p of proxies) {
    const res = await p.sdk.trigger(channel, event, { via: p.name });
    assert.equal(res.status, 200, `publish through ${p.name}`);
  }
  const want = proxies.map((p) => ({ via: p.name }));
  for (const ib of inboxes) assert.deepEqual(await ib.next(want.length), want);
}

// readyz answers the drained node's own /readyz status (0 when refused).
async function readyz() {
  try {
    return (await fetch(`http://${drainAddr}/readyz`)).status;
  } catch {
    return 0;
  }
}

test('pusher-js over wss:// receives what the SDK publishes over https://, through each proxy', async () => {
  const inboxes = [];
  for (const p of proxies) inboxes.push(...(await subscribeAll(p, 4, 'through-proxies', 'hello')));
  await publishEach('through-proxies', 'hello', inboxes);
  assert.deepEqual(upgrades.failed, [], refusals());
});

test('while a node drains, every new connection through each proxy succeeds at its first attempt', async () => {
  process.kill(drainPid, 'SIGTERM');
  await within(10000, 'the drained node answers /readyz 503', (async () => {
    while ((await readyz()) !== 503) await new Promise((r) => setTimeout(r, 20));
  })());
  const started = upgrades.started;
  const settled = await Promise.allSettled(proxies.map((p) => subscribeAll(p, 20, 'after-drain', 'news')));
  assert.deepEqual(upgrades.failed, [], refusals());
  const inboxes = settled.flatMap((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
  await publishEach('after-drain', 'news', inboxes);
  assert.ok(upgrades.started - started >= 20 * proxies.length, `only ${upgrades.started - started} upgrades`);
  // The node was still draining (refusing upgrades) all along.
  assert.equal(await readyz(), 503, 'the drained node finished before the new connections were made: raise its drain');
});
