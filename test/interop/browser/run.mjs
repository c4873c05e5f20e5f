// Drives headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core) to the pages auth_interop_test.go serves, and prints
// one JSON line per page: {"url", "ok", "detail", "log"}. Exit code 0
// when every page reported ok.
//
//   node browser/run.mjs URL [URL...]
//
// Environment: CHROMIUM (default /usr/bin/chromium), TIMEOUT_MS (per
// page, default 30000), SPKI_PINS (comma-separated base64 SHA-256 hashes
// of public keys Chromium accepts certificates for, as its
// --ignore-certificate-errors-spki-list: a test certificate, trusted
// without a system trust store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const urls = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeout = Number(process.env.TIMEOUT_MS || 30000);
const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

if (process.env.SPKI_PINS) args.push('--ignore-certificate-errors-spki-list=' + process.env.SPKI_PINS);

const profile = mkdtempSync(join(tmpdir(), 'fanout-chromium-'));
let failed = 0;
let ctx;
try {
  // A persistent context on a fresh directory is Chromium's --user-data-dir.
  ctx = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args, timeout });
  for (const url of urls) {
    const page = await ctx.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(m.type() + ': ' + m.text()));
    let res;
    try {
      await page.goto(url, { timeout });
      await page.waitForFunction(() => window.__result !== null && window.__result !== undefined, null, { timeout });
      res = await page.evaluate(() => window.__result);
    } catch (e) {
      res = { ok: false, detail: 'driver: ' + e.message, log: [] };
    }
    res.console = consoleLines;
    if (!res.ok) failed++;
    console.log(JSON.stringify({ url, ...res }));
    await page.close();
  }
} catch (e) {
  console.log(JSON.stringify({ url: '', ok: false, detail: 'launch: ' + e.message }));
  failed++;
} finally {
  if (ctx) await ctx.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
