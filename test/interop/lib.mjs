// Helpers shared by the interop scripts: environment, bounded waits, and
// pusher-js clients whose channel and user authorization are signed by a
// pusher Node SDK instance (as an app's auth endpoint would).
import { after } from 'node:test';
import PusherClient from 'pusher-js';

// env reads a variable the Go test sets, failing clearly when it is not.
export function env(k) {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run this script through its Go test)`);
  return v;
}

// within bounds every wait, so a broken server fails instead of hanging.
export function within(ms, what, p) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// until resolves once cond() holds, polling every 20 ms; bounded by within.
export function until(ms, what, cond) {
  return within(ms, what, new Promise((res) => {
    const check = () => (cond() ? res() : setTimeout(check, 20));
    check();
  }));
}

const clients = [];
after(() => clients.forEach((c) => c.disconnect()));

// connect opens a pusher-js client as user against host:port (wss:// when
// tls) and waits until it is connected; sdk signs its channel and user
// authorization.
export async function connect({ host, port, key, sdk, user, tls = false, timeout = 30000 }) {
  const c = new PusherClient(key, {
    wsHost: host, wsPort: port, wssPort: port, forceTLS: tls, enabledTransports: ['ws'],
    cluster: 'mt1', disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, cb) => {
        const data = channelName.startsWith('presence-') ? { user_id: user, user_info: { name: user } } : undefined;
        cb(null, sdk.authorizeChannel(socketId, channelName, data));
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, cb) => cb(null, sdk.authenticateUser(socketId, { id: user, name: user })),
    },
  });
  clients.push(c);
  await within(timeout, 'connected', new Promise((res, rej) => {
    c.connection.bind('connected', res);
    c.connection.bind('failed', () => rej(new Error('connection failed')));
  }));
  return c;
}

// subscribe subscribes c to name and waits for success.
export async function subscribe(c, name, timeout = 30000) {
  const ch = c.subscribe(name);
  await within(timeout, `subscribed to ${name}`, new Promise((res, rej) => {
    ch.bind('pusher:subscription_succeeded', res);
    ch.bind('pusher:subscription_error', (e) => rej(new Error(`subscription_error ${JSON.stringify(e)}`)));
  }));
  return ch;
}

// inbox records every event a binding receives, in order.
export function inbox(ch, event, timeout = 30000) {
  const got = [];
  const waiters = [];
  ch.bind(event, (data) => { got.push(data); waiters.splice(0).forEach((w) => w()); });
  return {
    got,
    async next(n = 1) {
      await within(timeout, `${n} x ${event} on ${ch.name}`, (async () => {
        while (got.length < n) await new Promise((r) => waiters.push(r));
      })());
      return got.slice(0, n);
    },
  };
}
