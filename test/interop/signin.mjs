// A pusher-js (or Laravel Echo) client of an app in auth.mode: required,
// driven by signin_interop_test.go: it subscribes to its channels and
// (unless FANOUT_SIGNIN=0) calls signin() at once, as apps do, so its
// subscribes reach the server before its pusher:signin (the user-auth
// endpoint answers late). It reports what happens as one JSON line per
// event on stdout, which the Go test feeds to the loss ledger, and runs
// until its stdin ends.
//
// Environment: FANOUT_HOST, FANOUT_PORT, FANOUT_KEY, FANOUT_TLS (1: wss),
// AUTH_BASE (the test's Laravel-style endpoints /broadcasting/auth and
// /broadcasting/user-auth), FANOUT_CLIENT (pusher or echo), FANOUT_SIGNIN
// (1 or 0), FANOUT_RECOVERY (1: the client/pusher-recovery helper),
// FANOUT_CHANNELS (comma-separated; private- ones through Echo.private).
//
// laravel_docs_test.go imports drive() instead, for the Echo instance
// that docs/laravel.md's snippets make.
import { pathToFileURL } from 'node:url';
import Pusher from 'pusher-js';
import Echo from 'laravel-echo';
import { recovery, RECOVERY_EVENT } from '../../client/pusher-recovery/index.js';

const env = (k, def) => {
  const v = process.env[k] ?? def;
  if (v === undefined) throw new Error(`${k} is not set (run this script through its Go test)`);
  return v;
};
const out = (o) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\n');

// drive reports on a pusher-js instance (pusher), or a Laravel Echo one
// (echo), subscribed to channels, and keeps the process alive until stdin
// ends.
export function drive({ pusher, echo, channels }) {
  if (echo) pusher = echo.connector.pusher;
  pusher.connection.bind('state_change', ({ previous, current }) => {
    out({ t: 'state', from: previous, to: current, socket: pusher.connection.socket_id });
  });
  pusher.connection.bind('error', (e) => out({ t: 'error', code: e?.data?.code ?? null, type: e?.type ?? null }));
  pusher.bind('pusher:signin_success', () => out({ t: 'signin' }));
  for (const name of channels) {
    let ch;
    if (echo) {
      const c = name.startsWith('private-') ? echo.private(name.slice('private-'.length)) : echo.channel(name);
      c.subscribed(() => out({ t: 'sub', ch: name }));
      c.error((e) => out({ t: 'suberr', ch: name, data: e }));
      c.listen('.ledger', (d) => out({ t: 'ev', ch: name, data: d }));
      ch = pusher.channel(name);
    } else {
      ch = pusher.subscribe(name);
      ch.bind('pusher:subscription_succeeded', () => out({ t: 'sub', ch: name }));
      ch.bind('pusher:subscription_error', (e) => out({ t: 'suberr', ch: name, data: e }));
      ch.bind('ledger', (d) => out({ t: 'ev', ch: name, data: d }));
    }
    ch.bind(RECOVERY_EVENT, (o) => out({ t: 'recovery', ch: name, recovered: o.recovered }));
  }
  process.stdin.resume();
  process.stdin.on('end', () => {
    pusher.disconnect();
    process.exit(0);
  });
}

function main() {
  const base = env('AUTH_BASE');
  const tls = env('FANOUT_TLS', '0') === '1';
  const options = {
    wsHost: env('FANOUT_HOST'), wsPort: Number(env('FANOUT_PORT')), wssPort: Number(env('FANOUT_PORT')),
    forceTLS: tls, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
  };
  const signin = env('FANOUT_SIGNIN', '1') === '1';
  let pusher;
  let echo;
  if (env('FANOUT_CLIENT', 'pusher') === 'echo') {
    echo = new Echo({
      broadcaster: 'pusher', Pusher, key: env('FANOUT_KEY'), ...options,
      authEndpoint: base + '/broadcasting/auth',
      auth: { headers: {} },
      ...(signin ? { userAuthentication: { endpoint: base + '/broadcasting/user-auth', headers: {} } } : {}),
    });
    pusher = echo.connector.pusher;
  } else {
    pusher = new Pusher(env('FANOUT_KEY'), {
      ...options,
      channelAuthorization: { endpoint: base + '/broadcasting/auth', transport: 'ajax' },
      userAuthentication: { endpoint: base + '/broadcasting/user-auth', transport: 'ajax' },
    });
  }
  if (env('FANOUT_RECOVERY', '0') === '1') recovery(pusher);
  drive({ pusher: echo ? undefined : pusher, echo, channels: env('FANOUT_CHANNELS').split(',') });
  if (signin) {
    if (echo) echo.connector.signin();
    else pusher.signin();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
