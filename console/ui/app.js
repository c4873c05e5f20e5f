// fanout console: a single page over the admin API (api/...). Every URL
// is relative, so the console works under any path prefix a proxy gives
// it. Data from the server is put in the page as text, never as HTML.
'use strict';

const KEEP = 300; // samples per series, as the server keeps them
const MAX_LOG = 500; // rows per tail pane
const state = { csrf: '', node: '', series: [], cluster: [], nodes: [], apps: [], es: null, tail: null };

// ---- helpers ----
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  if (digits !== undefined) return Number(n).toFixed(digits);
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
function bytes(n) {
  if (!n) return '0 B/s';
  const u = ['B', 'KB', 'MB', 'GB']; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + ' ' + u[i] + '/s';
}
function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); }

async function api(path, opts) {
  opts = opts || {};
  const headers = { 'Accept': 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.method && opts.method !== 'GET') headers['X-Console-CSRF'] = state.csrf;
  const res = await fetch(path, { method: opts.method || 'GET', headers, credentials: 'same-origin',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  if (res.status === 401 && path !== 'api/login') { showLogin(); throw new Error('logged out'); }
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  return { ok: res.ok, status: res.status, data };
}

// ---- login ----
function showLogin() {
  if (state.es) { state.es.close(); state.es = null; }
  $('app').hidden = true; $('login').hidden = false; $('password').focus();
}
$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  const r = await api('api/login', { method: 'POST', body: { password: $('password').value } });
  if (!r.ok) { $('login-error').textContent = r.data.error || ('login failed: ' + r.status); return; }
  $('password').value = '';
  start(r.data);
});
$('logout').addEventListener('click', async () => { await api('api/logout', { method: 'POST' }).catch(() => {}); showLogin(); });

async function start(sess) {
  state.csrf = sess.csrf; state.node = sess.node;
  $('node-name').textContent = sess.node;
  $('login').hidden = true; $('app').hidden = false;
  const [stats, cluster, apps] = await Promise.all([api('api/stats'), api('api/cluster'), api('api/apps')]);
  state.series = stats.data.series || [];
  state.cluster = cluster.data.series || [];
  state.nodes = cluster.data.nodes || [];
  state.apps = apps.data.apps || [];
  for (const s of document.querySelectorAll('.app-select')) {
    s.replaceChildren(...state.apps.map((a) => el('option', { value: a.id }, a.id)));
  }
  renderOverview(); renderCluster(cluster.data.error);
  openStream();
  route();
}

// ---- live stream ----
function openStream(params) {
  if (state.es) state.es.close();
  delete document.body.dataset.stream;
  const es = new EventSource('api/stream' + (params ? '?' + new URLSearchParams(params) : ''));
  state.es = es;
  es.addEventListener('open', () => { $('live').textContent = 'live'; $('live').classList.add('on'); });
  es.addEventListener('error', () => {
    $('live').textContent = 'reconnecting'; $('live').classList.remove('on');
    // A stream refused (the session ended) is not retried by the browser:
    // ask whether we are still logged in (api shows the login if not).
    if (es.readyState === EventSource.CLOSED) setTimeout(() => api('api/session').then((r) => { if (r.ok && state.es === es) openStream(state.tail || undefined); }).catch(() => {}), 2000);
  });
  es.addEventListener('sample', (m) => {
    const d = JSON.parse(m.data);
    if (d.node && d.node.time && (!state.series.length || state.series[state.series.length - 1].time !== d.node.time)) {
      state.series.push(d.node); if (state.series.length > KEEP) state.series.shift();
    }
    if (d.cluster.now && d.cluster.now.time) {
      if (!state.cluster.length || state.cluster[state.cluster.length - 1].time !== d.cluster.now.time) {
        state.cluster.push(d.cluster.now); if (state.cluster.length > KEEP) state.cluster.shift();
      }
    }
    state.nodes = d.cluster.nodes || [];
    renderOverview(); renderCluster(d.cluster.error);
  });
  // The stream says whether its watcher is registered: tests wait for it.
  es.addEventListener('hello', (m) => { document.body.dataset.stream = JSON.parse(m.data).watching ? 'tail' : 'plain'; });
  es.addEventListener('tail', (m) => addTail(JSON.parse(m.data)));
  es.addEventListener('tail_stats', (m) => {
    const d = JSON.parse(m.data);
    $('tail-status').textContent = 'Watching. Sampled out: ' + d.sampled_out + ', dropped (buffer full): ' + d.dropped + '.';
  });
}

// ---- charts: inline SVG, drawn here ----
const COLORS = ['#2f6fde', '#14a37f', '#d9822b', '#d64545'];
function chart(box, times, lines, unit) {
  const W = 600, H = 160, L = 44, R = 8, T = 8, B = 20;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const mk = (tag, a) => { const e = document.createElementNS('http://www.w3.org/2000/svg', tag); for (const k in a) e.setAttribute(k, a[k]); return e; };
  let maxV = 0;
  for (const l of lines) for (const v of l.values) if (v !== null && v > maxV) maxV = v;
  maxV = niceMax(maxV);
  const mant = maxV / Math.pow(10, Math.floor(Math.log10(maxV)));
  const steps = mant === 2 ? 4 : 5; // round numbers on every grid line
  for (let i = 0; i <= steps; i++) {
    const y = T + (H - T - B) * i / steps;
    svg.append(mk('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'axis' }));
    const t = mk('text', { x: L - 6, y: y + 3, 'text-anchor': 'end' }); t.textContent = fmt(maxV * (steps - i) / steps); svg.append(t);
  }
  if (times.length > 1) {
    const t0 = times[0], t1 = times[times.length - 1];
    const x = (t) => L + (W - L - R) * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
    const y = (v) => T + (H - T - B) * (1 - v / maxV);
    lines.forEach((l, i) => {
      let d = '', pen = false;
      l.values.forEach((v, j) => {
        if (v === null || v === undefined) { pen = false; return; }
        d += (pen ? 'L' : 'M') + x(times[j]).toFixed(1) + ' ' + y(v).toFixed(1); pen = true;
      });
      svg.append(mk('path', { d, fill: 'none', stroke: l.color || COLORS[i], 'stroke-width': 1.8, 'vector-effect': 'non-scaling-stroke' }));
    });
    const a = mk('text', { x: L, y: H - 4 }); a.textContent = clock(t0); svg.append(a);
    const b = mk('text', { x: W - R, y: H - 4, 'text-anchor': 'end' }); b.textContent = clock(t1); svg.append(b);
  } else {
    const t = mk('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }); t.textContent = 'collecting…'; svg.append(t);
  }
  const legend = el('div', { class: 'legend' }, ...lines.map((l, i) => {
    const swatch = el('i');
    swatch.style.background = l.color || COLORS[i]; // CSSOM: allowed by the page's CSP, unlike a style attribute
    return el('span', {}, swatch, l.name + (unit ? ' (' + unit + ')' : ''));
  }));
  box.replaceChildren(svg, legend);
}
function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// ---- overview ----
function kv(table, obj, empty) {
  const rows = Object.entries(obj || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  table.replaceChildren(...(rows.length ? rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, fmt(v)))) : [el('tr', {}, el('td', { class: 'muted none' }, empty))]));
}
function renderOverview() {
  const s = state.series[state.series.length - 1];
  if (!s) return;
  $('s-connections').textContent = fmt(s.connections);
  $('s-capacity').textContent = 'of ' + fmt(s.capacity) + ' capacity';
  $('s-capbar').style.width = (s.capacity ? Math.min(100, 100 * s.connections / s.capacity) : 0) + '%';
  $('s-published').textContent = fmt(s.published_per_s);
  $('s-in').textContent = fmt(s.messages_in_per_s) + ' client messages/s';
  $('s-deliveries').textContent = fmt(s.deliveries_per_s);
  $('s-bytes').textContent = bytes(s.bytes_out_per_s) + ' out';
  $('s-p50').textContent = s.latency_p50_ms === null ? '–' : fmt(s.latency_p50_ms, 2) + ' ms';
  const pct = (v) => (v === null ? '–' : fmt(v, 2));
  $('s-pct').textContent = 'p50 · p90 ' + pct(s.latency_p90_ms) + ' · p99 ' + pct(s.latency_p99_ms);
  const ok = s.broker === 'ok';
  $('s-broker').textContent = ok ? 'healthy' : s.broker;
  $('s-broker').className = 'value small ' + (ok ? 'ok' : 'bad');
  $('s-broker-errors').textContent = fmt(s.broker_errors) + ' broker errors';
  $('s-channels').textContent = fmt(s.channels);
  const wh = s.webhooks || {};
  $('s-webhooks').textContent = 'webhooks ' + fmt(wh.ok || 0) + ' sent · ' + fmt((wh.error || 0) + (wh.dropped || 0)) + ' lost';
  const t = state.series.map((x) => x.time);
  chart($('c-connections'), t, [{ name: 'connections', values: state.series.map((x) => x.connections) }]);
  chart($('c-rates'), t, [{ name: 'published', values: state.series.map((x) => x.published_per_s) },
    { name: 'deliveries', values: state.series.map((x) => x.deliveries_per_s) }]);
  chart($('c-latency'), t, [{ name: 'p50', values: state.series.map((x) => x.latency_p50_ms) },
    { name: 'p99', values: state.series.map((x) => x.latency_p99_ms), color: COLORS[2] }]);
  chart($('c-in'), t, [{ name: 'messages in', values: state.series.map((x) => x.messages_in_per_s), color: COLORS[1] }]);
  kv($('t-apps'), s.by_app, 'no apps');
  kv($('t-transports'), s.by_transport, 'no connections');
  const refusals = Object.fromEntries(Object.entries(s.refusals || {}).filter(([, v]) => v > 0));
  kv($('t-refusals'), refusals, 'none so far');
}

// ---- cluster ----
function renderCluster(err) {
  const p = state.cluster[state.cluster.length - 1];
  if (p) {
    $('k-nodes').textContent = p.nodes; $('k-connections').textContent = fmt(p.connections);
    $('k-published').textContent = fmt(p.published_per_s); $('k-deliveries').textContent = fmt(p.deliveries_per_s);
  }
  $('k-mode').textContent = state.nodes.length > 1 || (state.nodes[0] && state.nodes[0].node !== state.node) ? 'over Redis' : 'this node';
  $('k-error').textContent = err ? 'cluster store: ' + err : '';
  const now = Date.now();
  $('t-nodes').tBodies[0].replaceChildren(...state.nodes.map((n) => el('tr', {},
    el('td', { class: 'mono' }, n.node + (n.node === state.node ? ' (this node)' : '')),
    el('td', { class: 'num' }, fmt(n.connections)), el('td', { class: 'num' }, fmt(n.capacity)),
    el('td', { class: 'num' }, fmt(n.channels)), el('td', { class: 'num' }, fmt(n.published_per_s)),
    el('td', { class: 'num' }, fmt(n.deliveries_per_s)), el('td', { class: 'num' }, n.latency_p99_ms === null ? '–' : fmt(n.latency_p99_ms, 2)),
    el('td', {}, el('span', { class: 'tag ' + (n.broker === 'ok' ? 'connected' : 'closed') }, n.broker === 'ok' ? 'healthy' : n.broker)),
    el('td', { class: 'muted' }, Math.max(0, Math.round((now - n.time) / 1000)) + ' s ago'))));
  const sum = (field) => {
    const out = {};
    for (const n of state.nodes) for (const [k, v] of Object.entries(n[field] || {})) out[k] = (out[k] || 0) + v;
    return out;
  };
  kv($('t-k-apps'), sum('by_app'), 'no apps');
  kv($('t-k-transports'), sum('by_transport'), 'no connections');
  kv($('t-k-refusals'), Object.fromEntries(Object.entries(sum('refusals')).filter(([, v]) => v > 0)), 'none so far');
  const t = state.cluster.map((x) => x.time);
  chart($('c-k-connections'), t, [{ name: 'connections', values: state.cluster.map((x) => x.connections) }]);
  chart($('c-k-rates'), t, [{ name: 'published', values: state.cluster.map((x) => x.published_per_s) },
    { name: 'deliveries', values: state.cluster.map((x) => x.deliveries_per_s) }]);
}

// ---- channels ----
let filterTimer = null;
async function loadChannels() {
  const app = $('ch-app').value;
  if (!app) return;
  const r = await api('api/apps/' + encodeURIComponent(app) + '/channels?' + new URLSearchParams({ filter: $('ch-filter').value }));
  const body = $('t-channels').tBodies[0];
  if (!r.ok) { body.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'error' }, r.data.error))); return; }
  $('ch-count').textContent = r.data.total + ' channel' + (r.data.total === 1 ? '' : 's');
  if (!r.data.channels.length) { body.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'empty' }, 'No occupied channel matches.'))); return; }
  body.replaceChildren(...r.data.channels.map((c) => {
    const tr = el('tr', { onclick: () => { for (const x of body.rows) x.classList.remove('sel'); tr.classList.add('sel'); showChannel(app, c.name); } },
      el('td', { class: 'mono' }, c.name), el('td', { class: 'num' }, fmt(c.subscription_count)),
      el('td', { class: 'num' }, c.name.startsWith('presence-') ? fmt(c.user_count || 0) : '–'));
    return tr;
  }));
}
async function showChannel(app, name) {
  const box = $('ch-detail');
  const base = 'api/apps/' + encodeURIComponent(app) + '/channels/' + encodeURIComponent(name);
  const kids = [el('h3', { class: 'mono' }, name), el('div', { class: 'detail-actions' },
    el('button', { onclick: () => { $('tail-app').value = app; $('tail-channel').value = name; location.hash = '#tail'; startTail(); } }, 'Tail this channel'),
    el('button', { onclick: () => { $('pub-app').value = app; $('pub-channel').value = name; location.hash = '#actions'; } }, 'Publish to it'))];
  if (name.startsWith('presence-')) {
    const u = await api(base + '/users');
    kids.push(el('h3', {}, 'Presence members'));
    kids.push(u.ok ? el('div', { class: 'members' }, ...(u.data.users.length ? u.data.users.map((id) => el('span', { class: 'tag' }, id)) : [el('span', { class: 'muted' }, 'none')]))
      : el('p', { class: 'error' }, u.data.error));
  }
  const h = await api(base + '/history?limit=20');
  kids.push(el('h3', {}, 'History'));
  if (h.status === 404) kids.push(el('p', { class: 'muted' }, 'This channel keeps no history (see the app\'s history patterns in Config).'));
  else if (!h.ok) kids.push(el('p', { class: 'error' }, h.data.error));
  else if (!h.data.events.length) kids.push(el('p', { class: 'muted' }, 'No events kept yet.'));
  else kids.push(el('div', { class: 'history' }, ...h.data.events.map((e) => el('div', { class: 'row' },
    el('span', { class: 'tag' }, '#' + e.position.offset), ' ', el('b', {}, e.event), ' ', el('span', { class: 'mono data' }, shown(e.data))))));
  box.replaceChildren(...kids);
}
$('ch-app').addEventListener('change', loadChannels);
$('ch-refresh').addEventListener('click', loadChannels);
$('ch-filter').addEventListener('input', () => { clearTimeout(filterTimer); filterTimer = setTimeout(loadChannels, 250); });

// ---- tail ----
let tailEvents = 0, logLines = 0;
function startTail() {
  const app = $('tail-app').value, channel = $('tail-channel').value.trim(), log = $('tail-log').checked;
  if (!channel && !log) { $('tail-status').textContent = 'Give a channel or tick the connection log.'; return; }
  const p = { app };
  if (channel) p.channel = channel;
  if (log) p.log = '1';
  state.tail = p;
  openStream(p);
  $('tail-status').textContent = 'Watching' + (channel ? ' ' + app + ' / ' + channel : '') + (log ? (channel ? ' and' : '') + ' the connection log' : '') + '.';
}
function stopTail() { state.tail = null; openStream(); $('tail-status').textContent = 'Not watching.'; }
// shown is event data as a person reads it: the HTTP API's data is a
// JSON string (often of JSON), shown without the outer quoting.
function shown(data) {
  try { const v = JSON.parse(data); return typeof v === 'string' ? v : data; } catch (e) { return data; }
}
function addRow(box, row) {
  const stick = box.scrollTop < 4;
  box.prepend(row);
  while (box.childElementCount > MAX_LOG) box.lastElementChild.remove();
  if (stick) box.scrollTop = 0;
}
function addTail(it) {
  if (it.kind === 'event') {
    tailEvents++; $('tail-count').textContent = '(' + tailEvents + ')';
    addRow($('tail-events'), el('div', { class: 'row', 'data-event': it.event },
      el('span', { class: 't' }, clock(it.time)), el('span', { class: 'tag' }, it.event),
      el('span', { class: 'body' }, el('span', { class: 'data' }, shown(it.data) + (it.truncated ? ' …' : '')),
        it.user ? el('span', { class: 'muted' }, '  user ' + it.user) : null)));
    return;
  }
  logLines++; $('log-count').textContent = '(' + logLines + ')';
  let text = it.app + ' ' + (it.socket_id || '');
  if (it.user) text += ' user ' + it.user;
  if (it.channel) text += ' ' + it.channel;
  if (it.event) text += ' ' + it.event;
  if (it.kind === 'closed') text += ' code ' + it.code + ' by ' + it.by + (it.cause ? ' (' + it.cause + ')' : '');
  if (it.transport && it.kind === 'connected') text += ' via ' + it.transport;
  addRow($('tail-conns'), el('div', { class: 'row' }, el('span', { class: 't' }, clock(it.time)),
    el('span', { class: 'tag ' + it.kind }, it.kind), el('span', { class: 'body' }, text)));
}
$('tail-start').addEventListener('click', startTail);
$('tail-stop').addEventListener('click', stopTail);
$('tail-clear').addEventListener('click', () => { $('tail-events').replaceChildren(); $('tail-conns').replaceChildren(); tailEvents = logLines = 0; $('tail-count').textContent = $('log-count').textContent = ''; });

// ---- actions ----
function result(box, r, okText) {
  box.className = 'result ' + (r.ok ? 'ok' : 'bad');
  box.textContent = r.ok ? okText : (r.status + ': ' + ((r.data && r.data.error) || r.data));
}
$('pub-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const app = $('pub-app').value;
  const r = await api('api/apps/' + encodeURIComponent(app) + '/events', { method: 'POST',
    body: { channel: $('pub-channel').value.trim(), name: $('pub-event').value.trim(), data: $('pub-data').value } });
  result($('pub-result'), r, 'Published to ' + $('pub-channel').value.trim() + ' at ' + clock(Date.now()) + '.');
});
$('term-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const app = $('term-app').value, user = $('term-user').value.trim();
  const r = await api('api/apps/' + encodeURIComponent(app) + '/users/' + encodeURIComponent(user) + '/terminate_connections', { method: 'POST' });
  result($('term-result'), r, 'Asked every node to close the connections of ' + user + '.');
});

// ---- pages ----
function route() {
  const page = (location.hash || '#overview').slice(1).split('?')[0];
  const known = document.getElementById('page-' + page) ? page : 'overview';
  for (const s of document.querySelectorAll('.page')) s.classList.toggle('active', s.id === 'page-' + known);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === known);
  if (known === 'channels') loadChannels();
  if (known === 'config') api('api/config').then((r) => { $('config-text').textContent = r.data; });
}
window.addEventListener('hashchange', route);

api('api/session').then((r) => { if (r.ok) start(r.data); }).catch(() => {});
