// Laravel Echo (npm laravel-echo, pusher broadcaster, pusher-js client)
// against fanout, with an auth endpoint that auth_interop_test.go serves
// the way Laravel's /broadcasting/auth does: Echo.private() and
// Echo.join() subscribe through it; a server event, a whisper (client
// event) and presence here/joining/leaving all arrive.
//
// Environment (set by auth_interop_test.go): FANOUT_HOST, FANOUT_PORT,
// APP_KEY, AUTH_BASE (the test's HTTP server), ALICE_TOKEN, BOB_TOKEN
// (bearer tokens the auth endpoint maps to users). Prints PASS or FAIL
// lines; exit code 0 on success. Bounded: every wait times out.
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

const env = (k) => {
  if (!process.env[k]) throw new Error('missing env ' + k);
  return process.env[k];
};

function makeEcho(token) {
  return new Echo({
    broadcaster: 'pusher',
    Pusher,
    key: env('APP_KEY'),
    cluster: 'local',
    wsHost: env('FANOUT_HOST'),
    wsPort: Number(env('FANOUT_PORT')),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    authEndpoint: env('AUTH_BASE') + '/broadcasting/auth',
    bearerToken: token,
    // Echo's default auth.headers object is shared by every instance
    // (a shallow copy); give each its own so two users in one process
    // do not send each other's token.
    auth: { headers: {} },
    userAuthentication: { endpoint: env('AUTH_BASE') + '/broadcasting/user-auth', headers: {} },
  });
}

function within(ms, what, p) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
  })]).finally(() => clearTimeout(timer));
}

const subscribed = (ch, what) => within(5000, what, new Promise((resolve, reject) => {
  ch.subscribed(resolve);
  ch.error((e) => reject(new Error(what + ': ' + JSON.stringify(e))));
}));

async function main() {
  const alice = makeEcho(env('ALICE_TOKEN'));
  const bob = makeEcho(env('BOB_TOKEN'));
  try {
    // Echo.private: a server event through the auth endpoint's channel.
    const aOrders = alice.private('orders.1');
    const shipped = new Promise((resolve) => aOrders.listen('OrderShipped', resolve));
    // An event triggered by name through a Pusher SDK: the leading dot
    // tells Echo not to prefix its App.Events namespace.
    const named = new Promise((resolve) => aOrders.listen('.order-shipped', resolve));
    await subscribed(aOrders, 'alice private-orders.1');
    const bOrders = bob.private('orders.1');
    await subscribed(bOrders, 'bob private-orders.1');
    console.log('PASS Echo.private subscribed');
    const r = await fetch(env('AUTH_BASE') + '/trigger', { method: 'POST' });
    if (!r.ok) throw new Error('trigger: HTTP ' + r.status);
    const ev = await within(5000, 'OrderShipped', shipped);
    if (ev.order !== 1) throw new Error('OrderShipped data ' + JSON.stringify(ev));
    console.log('PASS OrderShipped received: ' + JSON.stringify(ev));
    const byName = await within(5000, '.order-shipped', named);
    if (byName.order !== 1) throw new Error('order-shipped data ' + JSON.stringify(byName));
    console.log('PASS .order-shipped received: ' + JSON.stringify(byName));

    // whisper: a client event from bob reaches alice only.
    let echoed = false;
    bOrders.listenForWhisper('typing', () => { echoed = true; });
    const typing = new Promise((resolve) => aOrders.listenForWhisper('typing', resolve));
    bOrders.whisper('typing', { name: 'bob' });
    const w = await within(5000, 'whisper', typing);
    if (w.name !== 'bob') throw new Error('whisper data ' + JSON.stringify(w));
    await new Promise((r) => setTimeout(r, 300));
    if (echoed) throw new Error('whisper echoed to its sender');
    console.log('PASS whisper relayed, not echoed');

    // Echo.join: here, joining, leaving.
    const here = new Promise((resolve) => alice.join('chat.1').here(resolve));
    const users = await within(5000, 'here', here);
    if (users.length !== 1 || users[0].name !== 'alice') throw new Error('here ' + JSON.stringify(users));
    const joining = new Promise((resolve) => alice.join('chat.1').joining(resolve));
    const leaving = new Promise((resolve) => alice.join('chat.1').leaving(resolve));
    const bobHere = new Promise((resolve) => bob.join('chat.1').here(resolve));
    const bobSees = await within(5000, 'bob here', bobHere);
    if (bobSees.length !== 2) throw new Error('bob here ' + JSON.stringify(bobSees));
    const j = await within(5000, 'joining', joining);
    if (j.name !== 'bob') throw new Error('joining ' + JSON.stringify(j));
    console.log('PASS Echo.join here/joining: ' + JSON.stringify(bobSees));
    bob.leave('chat.1');
    const l = await within(5000, 'leaving', leaving);
    if (l.name !== 'bob') throw new Error('leaving ' + JSON.stringify(l));
    console.log('PASS Echo.join leaving');

    // A refused authorization surfaces as Echo's error callback.
    const denied = alice.private('vault');
    const err = await within(5000, 'private-vault error', new Promise((resolve) => denied.error(resolve)));
    console.log('PASS Echo.private refused by the auth endpoint: ' + JSON.stringify(err));
  } finally {
    alice.disconnect();
    bob.disconnect();
  }
}

main().then(() => process.exit(0), (e) => {
  console.log('FAIL ' + (e && e.message || e));
  process.exit(1);
});
