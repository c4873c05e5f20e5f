// Node's ws package against fanout's /echo endpoint (FANOUT_ECHO_URL, set
// by interop_test.go): text, binary, fragmented and 1 MiB messages, and
// close codes both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const url = process.env.FANOUT_ECHO_URL;
if (!url) throw new Error('FANOUT_ECHO_URL is not set (run through interop_test.go)');

function within(ms, what, p) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// open connects and returns the socket with a queue of received messages.
async function open(opts = {}) {
  const ws = new WebSocket(url, { maxPayload: 64 << 20, ...opts });
  const got = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => { got.push({ data, isBinary }); waiters.splice(0).forEach((w) => w()); });
  ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
  await within(30000, 'open', new Promise((res, rej) => { ws.on('open', res); ws.on('error', rej); }));
  ws.next = () => within(30000, 'echo', (async () => {
    while (got.length === 0) await new Promise((r) => waiters.push(r));
    return got.shift();
  })());
  return ws;
}

async function closeWith(ws, code, reason) {
  ws.close(code, reason);
  const c = await within(30000, 'close', ws.closed);
  assert.equal(c.code, code, `server answered close ${code} with ${c.code}`);
}

test('text message is echoed as text', async () => {
  const ws = await open();
  ws.send('Hello, fanout! κόσμε');
  const m = await ws.next();
  assert.equal(m.isBinary, false);
  assert.equal(m.data.toString('utf8'), 'Hello, fanout! κόσμε');
  await closeWith(ws, 1000);
});

test('binary message is echoed as binary', async () => {
  const ws = await open();
  const b = Buffer.from([0, 1, 2, 0xfe, 0xff]);
  ws.send(b);
  const m = await ws.next();
  assert.equal(m.isBinary, true);
  assert.deepEqual(Buffer.from(m.data), b);
  await closeWith(ws, 1000);
});

test('fragmented messages are reassembled', async () => {
  const ws = await open();
  ws.send('frag-', { fin: false });
  ws.send('ment-', { fin: false });
  ws.send('ed', { fin: true });
  const t = await ws.next();
  assert.equal(t.isBinary, false);
  assert.equal(t.data.toString(), 'frag-ment-ed');
  ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
  ws.send(Buffer.from([3]), { binary: true, fin: true });
  const b = await ws.next();
  assert.equal(b.isBinary, true);
  assert.deepEqual([...b.data], [1, 2, 3]);
  await closeWith(ws, 1000);
});

test('1 MiB text and binary messages', async () => {
  const ws = await open();
  const text = 'x'.repeat(1 << 20);
  ws.send(text);
  assert.equal((await ws.next()).data.toString(), text);
  const bin = Buffer.alloc(1 << 20);
  for (let i = 0; i < bin.length; i++) bin[i] = i * 7 % 256;
  ws.send(bin);
  const m = await ws.next();
  assert.equal(m.isBinary, true);
  assert.ok(Buffer.from(m.data).equals(bin), '1 MiB binary echo differs');
  await closeWith(ws, 1000);
});

test('1 MiB message in 64 KiB fragments', async () => {
  const ws = await open();
  const bin = Buffer.alloc(1 << 20, 0xab);
  for (let off = 0; off < bin.length; off += 64 << 10) {
    ws.send(bin.subarray(off, off + (64 << 10)), { binary: true, fin: off + (64 << 10) >= bin.length });
  }
  const m = await ws.next();
  assert.ok(Buffer.from(m.data).equals(bin));
  await closeWith(ws, 1000);
});

for (const code of [1000, 1001, 3000, 4000, 4999]) {
  test(`client close ${code} is echoed`, async () => {
    const ws = await open();
    await closeWith(ws, code, 'bye');
  });
}

test('invalid UTF-8 in a text frame: the server closes with 1007', async () => {
  const ws = await open();
  ws.send(Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80]), { binary: false });
  const c = await within(30000, 'close', ws.closed);
  assert.equal(c.code, 1007);
});

test('ping is answered with a pong', async () => {
  const ws = await open();
  const p = new Promise((res) => ws.on('pong', res));
  ws.ping('are you there');
  assert.equal((await within(30000, 'pong', p)).toString(), 'are you there');
  await closeWith(ws, 1000);
});
