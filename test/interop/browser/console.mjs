// Drives fanout's web console in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core, no browser download) while
// real pusher-js clients connect and the pusher Node SDK publishes.
// console_test.go starts the nodes and passes:
//
//   FANOUT_HOST, FANOUT_PORT, FANOUT_APP_ID, FANOUT_KEY, FANOUT_SECRET  the node
//   CONSOLE_URL       the console's page (ends in /)
//   CONSOLE_PASSWORD  its admin password
//   CONSOLE_MODE      full (default): every page and check; nginx: log in,
//                     count, publish, through a proxy; cluster: the cluster
//                     page over two nodes (FANOUT_PORT2 is the second node)
//   EVIL_URL          (full) a page of another origin that posts a form to
//                     the console's publish endpoint
//   SHOTS             a directory for one PNG per page
//   CHROMIUM, SPKI_PINS  as for run.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import PusherServer from 'pusher';
import { env, within, until, connect, subscribe, inbox } from '../lib.mjs';

const host = env('FANOUT_HOST');
const port = Number(env('FANOUT_PORT'));
const appId = env('FANOUT_APP_ID');
const key = env('FANOUT_KEY');
const secret = env('FANOUT_SECRET');
const consoleURL = env('CONSOLE_URL');
const password = env('CONSOLE_PASSWORD');
const shots = env('SHOTS');
const mode = process.env.CONSOLE_MODE || 'full';
const sdk = new PusherServer({ appId, key, secret, host, port });
const WAIT = 20000; // generous bound of every wait; nothing asserts a duration

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--force-color-profile=srgb'];
if (process.env.SPKI_PINS) args.push('--ignore-certificate-errors-spki-list=' + process.env.SPKI_PINS);
const profile = mkdtempSync(join(tmpdir(), 'fanout-console-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
  viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1,
});
after(async () => { await ctx.close().catch(() => {}); rmSync(profile, { recursive: true, force: true }); });
const page = await ctx.newPage();
const pageLog = [];
page.on('console', (m) => pageLog.push(m.type() + ': ' + m.text()));
page.on('pageerror', (e) => pageLog.push('pageerror: ' + e.message));
after(() => { if (pageLog.length) console.log('page console:\n' + pageLog.join('\n')); });

const shot = (name) => page.screenshot({ path: join(shots, `console-${name}.png`) });
const text = (sel) => page.textContent(sel);
async function waitText(sel, want, what) {
  await page.waitForFunction(([s, w]) => {
    const e = document.querySelector(s);
    return e && (w instanceof RegExp ? false : e.textContent.includes(w));
  }, [sel, want], { timeout: WAIT }).catch(async (e) => {
    throw new Error(`${what}: ${sel} shows ${JSON.stringify(await text(sel).catch(() => null))}, want ${want}: ${e.message}`);
  });
}
async function go(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(`#page-${hash.slice(1)}.active`, { timeout: WAIT });
}
async function login() {
  await page.goto(consoleURL);
  await page.waitForSelector('#login:not([hidden])', { timeout: WAIT });
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForSelector('#app:not([hidden])', { timeout: WAIT });
}
// connections waits until the overview counts want connections.
async function connections(want, sel = '#s-connections') {
  await page.waitForFunction(([s, w]) => document.querySelector(s).textContent === String(w), [sel, want], { timeout: WAIT })
    .catch(async () => { throw new Error(`${sel} shows ${await text(sel)}, want ${want}`); });
}
// traffic publishes count events, spaced, so the charts have something
// to draw; bounded in count.
async function traffic(channel, count, every = 50) {
  for (let i = 0; i < count; i++) {
    await sdk.trigger(channel, 'tick', { n: i, at: Date.now() });
    await new Promise((r) => setTimeout(r, every));
  }
}

if (mode === 'full') {
  test('without the credential: the login page, and no data', async () => {
    await page.goto(consoleURL);
    await page.waitForSelector('#login:not([hidden])', { timeout: WAIT });
    assert.equal(await page.isHidden('#app'), true);
    const status = await page.evaluate(() => Promise.all(['api/stats', 'api/cluster', 'api/config', 'api/apps/app-id/channels']
      .map((p) => fetch(p).then((r) => r.status))));
    assert.deepEqual(status, [401, 401, 401, 401]);
    const post = await page.evaluate(() => fetch('api/apps/app-id/events', { method: 'POST', body: '{"channel":"x","name":"y","data":"z"}' }).then((r) => r.status));
    assert.equal(post, 401);
    await page.fill('#password', 'not-the-password');
    await page.click('#login-button');
    await waitText('#login-error', 'wrong password', 'a wrong password');
    await page.fill('#password', '');
    await shot('login');
  });

  test('log in; the connection count follows real pusher-js clients', async () => {
    await login();
    await connections(0);
    const a = await connect({ host, port, key, sdk, user: 'ada' });
    const b = await connect({ host, port, key, sdk, user: 'grace' });
    await connections(2);
    await subscribe(a, 'presence-lobby');
    await subscribe(b, 'presence-lobby');
    await subscribe(a, 'orders-eu');
    for (const name of ['news', 'prices-usd', 'prices-eur']) await subscribe(b, name);
    const more = [];
    for (const u of ['linus', 'barbara', 'ken']) more.push(await connect({ host, port, key, sdk, user: u }));
    for (const c of more) await subscribe(c, 'news');
    await connections(5);
    await traffic('news', 60);
    await traffic('orders-eu', 12, 20);
    // a few samples with rates, for the charts
    await page.waitForFunction(() => document.querySelectorAll('#c-rates path').length === 2, null, { timeout: WAIT });
    await page.waitForFunction(() => Number(document.getElementById('s-channels').textContent) >= 5, null, { timeout: WAIT });
    await shot('overview');
    for (const c of more) c.disconnect();
    await connections(2);
  });

  test('channels: counts, presence members, history', async () => {
    await go('#channels');
    await page.waitForSelector('#t-channels tbody tr td.mono', { timeout: WAIT });
    await page.fill('#ch-filter', 'prices');
    await page.waitForFunction(() => document.querySelectorAll('#t-channels tbody tr').length === 2, null, { timeout: WAIT });
    await page.fill('#ch-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#t-channels tbody tr').length >= 5, null, { timeout: WAIT });
    await page.click('#t-channels tbody tr:has-text("orders-eu")');
    await page.waitForSelector('#ch-detail .history .row', { timeout: WAIT });
    assert.equal(await page.locator('#ch-detail .history .row').count(), 12);
    await page.click('#t-channels tbody tr:has-text("presence-lobby")');
    await waitText('#ch-detail .members', 'grace', 'presence members');
    assert.match(await text('#ch-detail .members'), /ada/);
    await shot('channels');
  });

  test('tail a channel: an event published through the HTTP API appears', async () => {
    await go('#tail');
    await page.fill('#tail-channel', 'orders-eu');
    await page.click('#tail-start');
    await page.waitForSelector('body[data-stream="tail"]', { timeout: WAIT });
    await sdk.trigger('orders-eu', 'order-placed', { id: 'A-1001', total: 42.5 });
    await waitText('#tail-events', 'A-1001', 'the tailed event');
    assert.match(await text('#tail-events'), /order-placed/);
    // the connection log: a client connects, subscribes, leaves
    const c = await connect({ host, port, key, sdk, user: 'margaret' });
    await subscribe(c, 'orders-eu');
    c.disconnect();
    await waitText('#tail-conns', 'closed', 'the connection log');
    assert.match(await text('#tail-conns'), /subscribed/);
    await traffic('orders-eu', 8, 20);
    await shot('tail');
    await page.click('#tail-stop');
  });

  test('publish from the console: a pusher-js subscriber receives it', async () => {
    const c = await connect({ host, port, key, sdk, user: 'alan' });
    c.signin(); // terminate_connections closes a signed-in user's connections
    await until(WAIT, 'alan signed in', () => c.user.user_data);
    const box = inbox(await subscribe(c, 'console-test'), 'from-console');
    await go('#actions');
    await page.fill('#pub-channel', 'console-test');
    await page.fill('#pub-event', 'from-console');
    await page.fill('#pub-data', '{"hello":"from the console"}');
    await page.click('#pub-send');
    const [got] = await box.next(1);
    assert.deepEqual(got, { hello: 'from the console' });
    await waitText('#pub-result', 'Published', 'the publish result');
    await page.fill('#term-user', 'alan');
    const closed = within(WAIT, 'alan terminated', new Promise((res) => c.connection.bind('disconnected', res)));
    await page.click('#term-send');
    await closed;
    await waitText('#term-result', 'Asked every node', 'the terminate result');
    await shot('actions');
  });

  test('config: shown with secrets masked', async () => {
    await go('#config');
    await waitText('#config-text', 'console:', 'the config');
    const cfg = await text('#config-text');
    assert.ok(!cfg.includes(secret), 'the app secret is masked');
    assert.ok(!cfg.includes(password), 'the console password is masked');
    assert.match(cfg, /secret: '\*\*\*\*'/);
    await shot('config');
  });

  test('a cross-site form post is refused', async () => {
    const c = await connect({ host, port, key, sdk, user: 'eve-victim' });
    const box = inbox(await subscribe(c, 'csrf-target'), 'evil');
    const marker = inbox(c.channel('csrf-target'), 'marker');
    // The logged-in browser visits a page of another origin that posts a
    // JSON body as text/plain (no preflight) to the publish endpoint.
    const answer = page.waitForResponse((r) => r.url().includes('/api/apps/') && r.request().method() === 'POST', { timeout: WAIT });
    await page.goto(env('EVIL_URL'));
    const res = await answer;
    assert.equal(res.status(), 403, 'the cross-site post is refused');
    assert.match(await res.text(), /cross-site request refused/);
    await sdk.trigger('csrf-target', 'marker', {}); // delivered in order after any evil event
    await marker.next(1);
    assert.equal(box.got.length, 0, 'the cross-site post published nothing');
  });
}

if (mode === 'nginx') {
  test('behind nginx under a path prefix: log in, count, publish', async () => {
    await login();
    const cookies = await ctx.cookies();
    const ck = cookies.find((c) => c.name === 'fanout_console');
    assert.ok(ck && ck.httpOnly && ck.secure && ck.sameSite === 'Strict', 'session cookie: ' + JSON.stringify(ck));
    assert.ok(ck.path.startsWith('/fanout-console/'), 'cookie scoped to the prefix: ' + ck.path);
    await connections(0);
    const c = await connect({ host, port, key, sdk, user: 'nginx-user' });
    await connections(1);
    const box = inbox(await subscribe(c, 'via-nginx'), 'proxied');
    await go('#actions');
    await page.fill('#pub-channel', 'via-nginx');
    await page.fill('#pub-event', 'proxied');
    await page.click('#pub-send');
    await box.next(1);
    await go('#tail');
    await page.fill('#tail-channel', 'via-nginx');
    await page.click('#tail-start');
    await page.waitForSelector('body[data-stream="tail"]', { timeout: WAIT });
    await sdk.trigger('via-nginx', 'streamed', { through: 'nginx' });
    await waitText('#tail-events', 'nginx', 'an event tailed through nginx');
  });
}

if (mode === 'cluster') {
  test('cluster: both nodes and their connections, over Redis', async () => {
    const port2 = Number(env('FANOUT_PORT2'));
    const sdk2 = new PusherServer({ appId, key, secret, host, port: port2 });
    await login();
    await go('#cluster');
    await page.waitForFunction(() => document.querySelectorAll('#t-nodes tbody tr').length === 2, null, { timeout: WAIT });
    const clients = [];
    for (const u of ['n1-a', 'n1-b', 'n1-c']) clients.push(await connect({ host, port, key, sdk, user: u }));
    for (const u of ['n2-a', 'n2-b']) clients.push(await connect({ host, port: port2, key, sdk: sdk2, user: u }));
    for (const c of clients) await subscribe(c, 'cluster-news');
    await connections(5, '#k-connections');
    await traffic('cluster-news', 60);
    await page.waitForFunction(() => document.querySelectorAll('#c-k-rates path').length === 2, null, { timeout: WAIT });
    await shot('cluster');
  });
}
