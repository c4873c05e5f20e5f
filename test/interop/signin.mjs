// A pusher-js (or Laravel Echo) client of an app in auth.mode: required,
// driven by signin_interop_test.go: it subscribes to its channels and
// (unless FANOUT_SIGNIN=0) calls signin() at once, as apps do, so its
// subscribes reach the server before its pusher:signin (the user-auth
// endpoint answers late). It reports what happens as one JSON line per
// event on stdout, which the Go test feeds to the loss ledger, and runs
// until its stdin ends.
//
// Environment: FANOUT_HOST, FANOUT_PORT, FANOUT_KEY, FANOUT_TLS (1: wss),
// AUTH_BASE (the test's endpoints /user-auth and /channel-auth),
// FANOUT_CLIENT (pusher or echo), FANOUT_SIGNIN (1 or 0),
// FANOUT_RECOVERY (1: the client/pusher-recovery helper),
// FANOUT_CHANNELS (comma-separated; private- ones through Echo.private).
import Pusher from 'pusher-js';
import Echo from 'laravel-echo';
import { recovery, RECOVERY_EVENT } from '../../client/pusher-recovery/index.js';

const env = (k, def) => {
  const v = process.env[k] ?? def;
  if (v === undefined) throw new Error(`${k} is not set (run this script through its Go test)`);
  return v;
};
const out = (o) => process.stdout.write(JSON.stringify({ ...o, at: Date.now() }) + '\n');

const base = env('AUTH_BASE');
const tls = env('FANOUT_TLS', '0') === '1';
const options = {
  wsHost: env('FANOUT_HOST'), wsPort: Number(env('FANOUT_PORT')), wssPort: Number(env('FANOUT_PORT')),
  forceTLS: tls, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
};
const signin = env('FANOUT_SIGNIN', '1') === '1';
const channels = env('FANOUT_CHANNELS').split(',');

let pusher;
let echo;
if (env('FANOUT_CLIENT', 'pusher') === 'echo') {
  echo = new Echo({
    broadcaster: 'pusher', Pusher, key: env('FANOUT_KEY'), ...options,
    authEndpoint: base + '/channel-auth',
    auth: { headers: {} },
    // Laravel's default user-authentication route is /broadcasting/user-auth.
    ...(signin ? { userAuthentication: { endpoint: base + '/user-auth', headers: {} } } : {}),
  });
  pusher = echo.connector.pusher;
} else {
  pusher = new Pusher(env('FANOUT_KEY'), {
    ...options,
    channelAuthorization: { endpoint: base + '/channel-auth', transport: 'ajax' },
    userAuthentication: { endpoint: base + '/user-auth', transport: 'ajax' },
  });
}
if (env('FANOUT_RECOVERY', '0') === '1') recovery(pusher);

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
if (signin) {
  if (echo) echo.connector.signin();
  else pusher.signin();
}

process.stdin.resume();
process.stdin.on('end', () => {
  pusher.disconnect();
  process.exit(0);
});
