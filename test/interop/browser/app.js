// Steps of the browser test, run by page.html. The result lands in
// window.__result = {ok, detail, log}; run.mjs waits for it.
(function () {
  'use strict';
  var F = window.FANOUT; // {host, port, key, expect: "allowed" | "refused"}
  var log = [];
  window.__result = null;

  function note(msg) {
    log.push(msg);
    document.getElementById('out').textContent = log.join('\n');
  }

  function finish(ok, detail) {
    if (window.__result) return;
    note((ok ? 'PASS ' : 'FAIL ') + detail);
    window.__result = { ok: ok, detail: detail, log: log };
  }

  // rawUpgrade opens a plain WebSocket to the app and reports whether
  // pusher:connection_established arrived (true) or the socket closed
  // before it (false).
  function rawUpgrade() {
    return new Promise(function (resolve) {
      var url = 'ws://' + F.host + ':' + F.port + '/app/' + F.key + '?protocol=7&client=js&version=8&flash=false';
      var ws = new WebSocket(url);
      var done = false;
      ws.onmessage = function (m) {
        if (!done && String(m.data).indexOf('pusher:connection_established') >= 0) {
          done = true;
          ws.close();
          resolve(true);
        }
      };
      ws.onclose = function (e) {
        note('raw socket closed: code ' + e.code);
        if (!done) { done = true; resolve(false); }
      };
    });
  }

  // newPusher connects as user (the page's auth endpoints sign for it).
  function newPusher(user) {
    return new Pusher(F.key, {
      wsHost: F.host,
      wsPort: F.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      cluster: 'local',
      channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax', params: { user: user } },
      userAuthentication: { endpoint: '/pusher/user-auth', transport: 'ajax', params: { user: user } },
    });
  }

  function subscribed(p, name) {
    return new Promise(function (resolve, reject) {
      var ch = p.subscribe(name);
      ch.bind('pusher:subscription_succeeded', function (d) { resolve({ ch: ch, data: d }); });
      ch.bind('pusher:subscription_error', function (e) { reject(new Error(name + ': ' + JSON.stringify(e))); });
    });
  }

  function within(ms, what, promise) {
    return Promise.race([promise, new Promise(function (_, reject) {
      setTimeout(function () { reject(new Error('timed out: ' + what)); }, ms);
    })]);
  }

  function once(ch, event) {
    return new Promise(function (resolve) { ch.bind(event, resolve); });
  }

  async function allowed() {
    if (!(await rawUpgrade())) throw new Error('raw upgrade refused from an allowed origin');
    note('raw upgrade accepted');
    var a = newPusher('alice');
    var b = newPusher('bob');
    a.signin();
    await within(5000, 'signin', a.user.signinDonePromise);
    note('signed in as ' + a.user.user_data.id);
    // pusher-js then subscribes to its user channel; the server must accept it.
    await within(5000, 'user channel #server-to-user-alice', new Promise(function (resolve) {
      (function poll() {
        var uc = a.user.serverToUserChannel;
        if (uc && uc.subscribed) resolve(); else setTimeout(poll, 50);
      })();
    }));
    note('user channel subscribed');
    var priv = await within(5000, 'private subscription', subscribed(a, 'private-room'));
    var privB = await within(5000, 'private subscription (b)', subscribed(b, 'private-room'));
    note('subscribed to private-room');
    var pres = await within(5000, 'presence subscription', subscribed(a, 'presence-room'));
    note('presence-room members: ' + pres.ch.members.count);
    var joined = once(pres.ch, 'pusher:member_added');
    await within(5000, 'presence subscription (b)', subscribed(b, 'presence-room'));
    var m = await within(5000, 'member_added', joined);
    note('member_added: ' + m.id);

    // A server event through the HTTP API reaches the page.
    var got = once(priv.ch, 'greeting');
    var r = await fetch('/trigger', { method: 'POST' });
    if (!r.ok) throw new Error('trigger: HTTP ' + r.status);
    var ev = await within(5000, 'greeting event', got);
    note('event: ' + JSON.stringify(ev));
    if (!ev || ev.text !== 'hello browser') throw new Error('wrong event data ' + JSON.stringify(ev));

    // A client event from b reaches a, not b.
    var echoed = false;
    privB.ch.bind('client-wave', function () { echoed = true; });
    var wave = once(priv.ch, 'client-wave');
    privB.ch.trigger('client-wave', { from: 'b' });
    var w = await within(5000, 'client event', wave);
    await new Promise(function (r) { setTimeout(r, 300); });
    if (echoed) throw new Error('client event echoed to its sender');
    note('client event: ' + JSON.stringify(w));

    var left = once(pres.ch, 'pusher:member_removed');
    b.disconnect();
    await within(5000, 'member_removed', left);
    note('member_removed');
    a.disconnect();
    return 'private, presence, signin, server and client events over a cookie-authenticated upgrade';
  }

  async function refused() {
    if (await rawUpgrade()) throw new Error('raw upgrade accepted from a disallowed origin');
    var p = newPusher('mallory');
    var connected = false;
    p.connection.bind('connected', function () { connected = true; });
    await new Promise(function (r) { setTimeout(r, 2000); });
    p.disconnect();
    if (connected) throw new Error('pusher-js connected from a disallowed origin');
    return 'refused from a disallowed origin';
  }

  (F.expect === 'allowed' ? allowed() : refused()).then(
    function (d) { finish(true, d); },
    function (e) { finish(false, String(e && e.message || e)); });
})();
