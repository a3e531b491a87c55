// The page in a real browser: Debian's headless Chromium driven by playwright-core, against the
// release binary on a random port (rate limits off). Run by scripts/browser-test.sh.
//
// Every page must log no console error and request nothing from another origin, and every view
// must pass axe-core (npm, run in the page) with no serious or critical violation. Screenshots
// and the measured figures go to $CARGO_TARGET_DIR/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const TARGET = resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target');
const BIN = join(TARGET, 'release', 'word-bocce');
const SHOTS = join(TARGET, 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15_000;
// axe-core's script, evaluated in the page (the page's CSP allows only its own scripts, and
// evaluation from the test is not subject to it, where an added <script> tag would be).
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server;
let serverLog = '';
let base;
let browser;
let sseDeployed;
const figures = { axe: {} };
const watched = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function waitHealthy(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch { /* not yet */ }
    if (server.exitCode !== null) throw new Error(`the server exited:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not come up:\n${serverLog}`);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), BIND: '127.0.0.1', RATE_LIMIT_ENABLED: 'false', SNAPSHOT_PATH: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitHealthy(base);
  // Whether this build has the match event stream (without it the page polls, and Chromium
  // logs the refused EventSource: the one console error tolerated, and only then).
  // (An unknown match is `unknown_match`; a missing route is `not_found`.)
  const probe = await (await fetch(`${base}/match/none/events`)).json().catch(() => ({}));
  sseDeployed = probe.code !== 'not_found';
  figures.sse = sseDeployed ? 'deployed' : 'absent: the page polled';
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  writeFileSync(join(SHOTS, 'figures.json'), JSON.stringify(figures, null, 2));
  console.log('figures:', JSON.stringify(figures));
  // Checked once more at the very end, for every page any test opened.
  for (const w of watched) assertClean(w);
});

/** A browser context whose console errors, page errors and foreign requests are recorded. */
async function context(name, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
  const w = { name, errors: [], foreign: [], ctx };
  watched.push(w);
  ctx.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== base && u.protocol !== 'data:') w.foreign.push(req.url());
  });
  ctx.on('page', (page) => watch(page, w));
  return w;
}

function watch(page, w) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (!sseDeployed && /EventSource|\/events/.test(text + JSON.stringify(msg.location()))) return;
    w.errors.push(`${text} @ ${msg.location().url}`);
  });
  page.on('pageerror', (e) => w.errors.push(`uncaught: ${e.message}`));
}

function assertClean(w) {
  assert.deepEqual(w.errors, [], `${w.name}: console errors`);
  assert.deepEqual(w.foreign, [], `${w.name}: requests to another origin`);
}

async function newPage(w) {
  const page = await w.ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  return page;
}

/** axe-core on the view on screen: no serious or critical violation (the others are counted in
 * the figures). */
async function axeCheck(page, view) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  figures.axe[view] = violations.map((v) => `${v.impact}: ${v.id}`);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${view}: serious or critical violations`);
}

/** Pairs of labels in the picture under `scope` whose drawn boxes overlap by more than 2 px
 * each way (what the page's placement must avoid). */
function labelClashes(page, scope) {
  return page.evaluate((scope) => {
    const labels = [...document.querySelectorAll(`${scope} svg.court .pt text`)]
      .map((t) => ({ text: t.textContent, b: t.getBBox() }));
    const clashes = [];
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i].b, labels[j].b];
        const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
        const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
        if (w > 2 && h > 2) clashes.push(`${labels[i].text} / ${labels[j].text}`);
      }
    }
    return clashes;
  }, scope);
}

/** A puzzle profile made on the page (its token kept in the browser). */
async function makeProfile(page, name) {
  await page.goto(`${base}/#/profile`);
  await page.fill('#profile-form input[name=name]', name);
  await page.click('#profile-form button');
  await page.locator('#profile').waitFor();
}

/** Pick a public card, a private card (not the joker when there is another) and signs; throw. */
async function throwMove(page, flipPrivate) {
  await page.locator('#public-cards .pick').first().click();
  const privs = page.locator('#private-cards .pick');
  const n = await privs.count();
  let chosen = null;
  for (let i = 0; i < n; i++) {
    const t = await privs.nth(i).textContent();
    if (t !== 'JOKER') { chosen = privs.nth(i); break; }
  }
  if (chosen) await chosen.click();
  else {
    await privs.first().click();
    await page.fill('#joker', 'music');
  }
  if (flipPrivate) await page.locator('#private-cards .chosen .sign').click();
  await page.click('#submit');
  await page.locator('#result #rank').waitFor();
  await page.locator('#result[data-rtt]').waitFor();
  return Number(await page.locator('#result').getAttribute('data-rtt'));
}

test('two players play a match: live lobby, round, result, resolution, reload, final table', async () => {
  const hostW = await context('host');
  const guestW = await context('guest');
  const host = await newPage(hostW);
  const guest = await newPage(guestW);

  await host.goto(`${base}/`);
  await host.locator('#create-form').waitFor();
  await axeCheck(host, 'home');
  await host.fill('#create-form input[name=name]', 'Browser game');
  await host.fill('#create-form input[name=player]', 'Alice');
  await host.click('#create-form summary');
  await host.fill('#create-form input[name=rounds]', '2');
  await host.fill('#create-form input[name=N_public]', '6');
  await host.click('#create-form button[type=submit]');
  await host.waitForURL(/#\/match\//);
  await host.locator('#players li', { hasText: 'Alice' }).waitFor();
  const link = await host.inputValue('#join-link');
  assert.match(link, new RegExp(`^${base}/#/match/`));

  // The guest opens the join link and joins; the host sees them without reloading.
  await guest.goto(link);
  await guest.fill('#join-name', 'Bob');
  await guest.click('#join-match button');
  await guest.locator('#players li', { hasText: 'Bob' }).waitFor();
  await host.locator('#players li', { hasText: 'Bob' }).waitFor();
  await host.screenshot({ path: join(SHOTS, 'lobby.png') });
  await axeCheck(host, 'match lobby');
  // Navigation puts the focus on the new view's heading.
  assert.equal(await host.evaluate(() => document.activeElement.tagName), 'H2');

  // A reload keeps the guest's seat: no join form, still Bob.
  await guest.reload();
  await guest.locator('#lobby').waitFor();
  assert.equal(await guest.locator('#join-match').count(), 0);
  assert.match(await guest.locator('.match-head').textContent(), /you are Bob/);

  await host.click('#start');
  await host.locator('#public-cards').waitFor();
  await guest.locator('#public-cards').waitFor();
  const [start, target] = await host.locator('.round-head .word').allTextContents();
  await axeCheck(guest, 'match round');
  // The sign toggles say plus or minus; the clock says it in words.
  assert.match(await guest.locator('#public-cards .sign').first().getAttribute('aria-label'), /^plus or minus /);
  assert.match(await guest.textContent('.clock'), /Time left \d+:\d\d/);
  assert.deepEqual(await guest.locator('.round-head .word').allTextContents(), [start, target]);

  figures.submit_to_result_ms = [];
  figures.submit_to_result_ms.push(await throwMove(host, false));
  // The result: similarity, "#N" rank, nearest word, contribution bars, and the move drawn.
  assert.match(await host.textContent('#result #rank'), /^#\d+$/);
  assert.match(await host.textContent('#result #similarity'), /^-?\d\.\d{3}$/);
  assert.ok((await host.textContent('#result #nearest')).length > 0);
  assert.equal(await host.locator('#result .barrow').count(), 3);
  await host.locator('#result svg.court .pt-result').waitFor();
  await host.locator('#result svg.court .pt-target').waitFor();
  assert.ok(await host.locator('#result svg.court .pt-neighbor').count() > 0);
  assert.deepEqual(await labelClashes(host, '#result'), [], 'no label hides another');
  await host.screenshot({ path: join(SHOTS, 'result.png'), fullPage: true });

  // The guest sees the host has moved, then moves; the round resolves for both.
  await guest.locator('#submitted-count', { hasText: '1 of 2' }).waitFor();
  figures.submit_to_result_ms.push(await throwMove(guest, true));
  for (const page of [host, guest]) {
    await page.locator('#resolution').waitFor();
    const rows = page.locator('#resolution tbody tr');
    assert.equal(await rows.count(), 2);
    for (const rank of await page.locator('#resolution td.rank').allTextContents()) assert.match(rank, /^#\d+$/);
    for (const par of await page.locator('#resolution td.par').allTextContents()) {
      assert.match(par, /\d\.\d{3} \(#\d+ · (bacio|close|in the hunt|wide|long way off)\)$/);
    }
    for (const tier of await page.locator('#resolution td.tier-cell').allTextContents()) {
      assert.match(tier, /^(bacio|close|in the hunt|wide|long way off)$/);
    }
    await page.locator('#standings tbody tr').first().waitFor();
  }
  await guest.screenshot({ path: join(SHOTS, 'resolved.png'), fullPage: true });
  await axeCheck(guest, 'resolved round');
  // Anyone's move can be drawn from the table.
  await guest.locator('#resolution tbody tr', { hasText: 'Alice' }).locator('button').click();
  await guest.locator('#resolution svg.court .pt-result').waitFor();

  // A reload after the round still shows the guest's seat and result.
  await guest.reload();
  await guest.locator('#resolution tr.me').waitFor();
  await guest.locator('#result #rank').waitFor();

  // Round 2 reaches the guest live; both throw; the match ends with the final table.
  await host.click('#next-round');
  await host.locator('.round-head h3', { hasText: 'Round 2' }).waitFor();
  await guest.locator('.round-head h3', { hasText: 'Round 2' }).waitFor();
  figures.submit_to_result_ms.push(await throwMove(guest, false));
  figures.submit_to_result_ms.push(await throwMove(host, true));
  for (const page of [host, guest]) {
    await page.locator('#final tbody tr').nth(1).waitFor();
    assert.match(await page.textContent('#final .winner'), /wins!$/);
  }
  assertClean(hostW);
  assertClean(guestW);
});

test('the page at phone width, first paint, and size on the wire', async () => {
  const w = await context('phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await newPage(w);
  await page.goto(`${base}/`, { waitUntil: 'load' });
  await page.locator('#create-form').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at phone width (${overflow}px too wide)`);
  await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });

  // Fresh loads of / (a new context each: nothing cached): first paint, first contentful
  // paint, and the bytes of the page and its assets, decoded and on the wire (Resource Timing).
  const loads = [];
  let d;
  for (let i = 0; i < 3; i++) {
    d = await context(`first-paint-${i}`);
    const p = await newPage(d);
    await p.goto(`${base}/`, { waitUntil: 'networkidle' });
    loads.push(await p.evaluate(() => {
      const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const nav = performance.getEntriesByType('navigation')[0];
      const files = [nav, ...performance.getEntriesByType('resource').filter((e) => e.name.includes('/static/'))];
      return {
        first_paint_ms: paint['first-paint'],
        first_contentful_paint_ms: paint['first-contentful-paint'],
        html_response_end_ms: nav.responseEnd,
        dom_content_loaded_ms: nav.domContentLoadedEventEnd,
        files: files.map((e) => new URL(e.name).pathname),
        bytes_decoded: files.reduce((a, e) => a + e.decodedBodySize, 0),
        bytes_on_wire: files.reduce((a, e) => a + e.encodedBodySize, 0),
      };
    }));
    await d.ctx.close();
  }
  figures.fresh_loads = loads;
  // The browser's own floor on this machine: first paint of a bare JSON document.
  const floor = await context('floor');
  const fp = await newPage(floor);
  await fp.goto(`${base}/healthz`, { waitUntil: 'networkidle' });
  figures.floor_first_paint_ms_of_healthz = await fp.evaluate(() => performance.getEntriesByType('paint')[0]?.startTime);
  await floor.ctx.close();
  // The same loads without the browser's start-up: a fresh context (nothing cached) whose tab
  // already shows a page of the service, so its renderer runs, then navigates to / (and, for
  // the floor, to the bare JSON document). What is left is the page and its server's share.
  // The first paint of the document in the tab (waiting for it: 'load' may come first).
  const paintOf = (p) => p.evaluate(() => new Promise((done) => {
    const seen = () => performance.getEntriesByType('paint')[0]?.startTime;
    if (seen() !== undefined) { done(seen()); return; }
    new PerformanceObserver(() => done(seen())).observe({ type: 'paint', buffered: true });
    setTimeout(() => done(seen() ?? null), 3000);
  }));
  // The largest contentful paint: when the page's own view (not a shell) is on screen.
  const contentOf = (p) => p.evaluate(() => new Promise((done) => {
    new PerformanceObserver((l) => done(l.getEntries().at(-1).startTime))
      .observe({ type: 'largest-contentful-paint', buffered: true });
    setTimeout(() => done(null), 3000);
  }));
  const warm = { page_first_paint_ms: [], page_largest_contentful_paint_ms: [], floor_first_paint_ms_of_healthz: [] };
  for (let i = 0; i < 9; i++) {
    const c = await context(`warm-renderer-${i}`);
    const p = await newPage(c);
    await p.goto(`${base}/healthz?warm`, { waitUntil: 'load' });
    await p.goto(`${base}/`, { waitUntil: 'networkidle' });
    await p.locator('#create-form').waitFor();
    warm.page_first_paint_ms.push(await paintOf(p));
    warm.page_largest_contentful_paint_ms.push(await contentOf(p));
    await p.goto(`${base}/healthz`, { waitUntil: 'load' });
    warm.floor_first_paint_ms_of_healthz.push(await paintOf(p));
    await c.ctx.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  warm.page_median_ms = median(warm.page_first_paint_ms);
  warm.page_content_median_ms = median(warm.page_largest_contentful_paint_ms);
  warm.floor_median_ms = median(warm.floor_first_paint_ms_of_healthz);
  figures.loads_in_a_running_renderer = warm;
  assert.ok(warm.page_first_paint_ms.every((t) => t > 0), 'the page painted every time');
  const last = loads[loads.length - 1];
  assert.ok(last.bytes_decoded > 0 && last.bytes_decoded < 200 * 1024, `${last.bytes_decoded} bytes`);
  assert.ok(last.bytes_on_wire * 2 < last.bytes_decoded, 'compressed on the wire');
  // Two requests before the first paint: the page (stylesheet inlined) and its one script.
  assert.deepEqual(last.files, ['/', '/static/app.js', '/static/favicon.svg']);
  assertClean(w);
  assertClean(d);
});

test('an API error is shown in words', async () => {
  const w = await context('errors');
  const page = await newPage(w);
  await page.goto(`${base}/#/match/mnope`);
  await page.locator('#error', { hasText: "no match 'mnope'" }).waitFor();
  // The page stops asking about a match that does not exist.
  await page.waitForTimeout(2000);
  await w.ctx.close();
  const asked = w.errors.filter((e) => /\/match\/mnope/.test(e));
  assert.equal(asked.length, 1, `one request for the unknown match: ${asked}`);
  // The browser logs that 404 itself: it is this test's point, not a page bug.
  w.errors = w.errors.filter((e) => !/404/.test(e));
  assertClean(w);
});

test('a puzzle solved to three stars with the optimal move', async (t) => {
  const list = await fetch(`${base}/puzzles`);
  if (list.status === 404) {
    t.skip('this build has no puzzle routes yet');
    return;
  }
  const w = await context('puzzler');
  const page = await newPage(w);
  await makeProfile(page, 'Puzzler');

  await page.goto(`${base}/#/daily`);
  await page.locator('#daily-archive .calendar a').first().waitFor();
  assert.match(await page.textContent('#streak'), /Streak: 0 days · best streak: 0 days/);
  const days = await page.locator('#daily-archive .calendar a').count();
  assert.ok(days >= 12, `${days} days in the archive`);
  await page.screenshot({ path: join(SHOTS, 'daily-archive.png'), fullPage: true });
  await axeCheck(page, 'daily archive');
  // The first day opens its own puzzle.
  await page.click('#daily-archive .calendar a[data-date="2026-11-23"]');
  await page.locator('#puzzle h2', { hasText: 'of 2026-11-23' }).waitFor();
  await page.goto(`${base}/#/daily`);
  await page.click('#today-puzzle');
  await page.locator('#puzzle').waitFor();
  await page.click('#hint-button');
  await page.locator('#hint').waitFor();
  await page.goto(`${base}/#/puzzles`);
  await page.locator('#puzzles .puzzle-list a').first().waitFor();
  await axeCheck(page, 'puzzles list');
  await page.locator('#puzzles .puzzle-list a').first().click();
  await page.locator('#allowed-cards').waitFor();

  await page.click('#give-up');
  const best = page.locator('#gave-up #best-move');
  await best.waitFor();
  const move = {
    pub: await best.getAttribute('data-public'),
    pubSign: Number(await best.getAttribute('data-public-sign')),
    priv: await best.getAttribute('data-private'),
    privSign: Number(await best.getAttribute('data-private-sign')),
  };
  for (const card of [move.pub, move.priv]) {
    const button = page.locator(`#allowed-cards [data-card="${card}"]`);
    if (await button.count()) await button.click();
    else {
      await page.fill('#wild', card);
      await page.click('.wild button');
    }
  }
  if (move.pubSign < 0) await page.click('#pub-sign');
  if (move.privSign < 0) await page.click('#priv-sign');
  await page.click('#solve');
  await page.locator('#puzzle-result').waitFor();
  assert.equal(await page.locator('#puzzle-stars .stars').getAttribute('aria-label'), '3 of 3 stars');
  assert.equal(await page.locator('#best-move').count(), 1, 'the best move is shown once after a pass');
  const share = await page.inputValue('#share-text');
  assert.ok(share.length > 0);
  for (const word of [move.pub, move.priv]) assert.ok(!share.includes(word), `no spoiler in "${share}"`);
  await page.locator('#puzzle-result svg.court .pt-result').waitFor();
  assert.deepEqual(await labelClashes(page, '#puzzle-result'), [], 'no label hides another');
  assert.match(await page.textContent('#puzzle-result .tier'), /^(bacio|close|in the hunt|wide|long way off)$/);
  // Try your own words, then vote.
  await page.fill('#free-word-0', move.pub);
  await page.click('#free-sign-1');
  assert.equal(await page.locator('#free-sign-1').getAttribute('aria-label'), 'minus word 2');
  await page.fill('#free-word-1', move.priv);
  await page.press('#free-word-1', 'Enter');
  await page.locator('#free-result #free-rank').waitFor();
  await page.fill('#vote-comment', 'a fine puzzle');
  await page.click('#vote [data-vote="more_fun"]');
  await page.locator('#vote-thanks').waitFor();
  await page.screenshot({ path: join(SHOTS, 'puzzle.png'), fullPage: true });
  await axeCheck(page, 'puzzle');
  assertClean(w);
});

test('practice: a court thrown on, par and the bar, then the next court', async () => {
  const w = await context('practice');
  const page = await newPage(w);
  // With a profile, the throws count on it.
  await makeProfile(page, 'Practiser');
  await page.goto(`${base}/#/practice`);
  await page.locator('#practice #public-cards .pick').first().waitFor();
  await axeCheck(page, 'practice');
  const firstStart = await page.textContent('#practice .word.start');
  await page.locator('#public-cards .pick').first().click();
  await page.locator('#private-cards .pick').first().click();
  await page.locator('#private-cards .chosen .sign').click();
  assert.equal(await page.locator('#private-cards .chosen .sign').getAttribute('aria-label'),
    `minus ${await page.textContent('#private-cards .chosen .pick')}`);
  // Enter throws (the focus on the page, not on a control).
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('Enter');
  await page.locator('#practice-result #par').waitFor();
  assert.match(await page.textContent('#practice-result .tier'), /^(bacio|close|in the hunt|wide|long way off)$/);
  assert.match(await page.textContent('#par .preview'), /\d\.\d{3} \(#\d+ · [a-z ]+\)$/);
  assert.match(await page.textContent('#of-par'), /% of the way to par|at par or beyond/);
  const width = await page.locator('#par .partrack .bar').evaluate((b) => b.style.width);
  assert.match(width, /^\d+%$/);
  // The result is announced (the live region).
  await page.locator('#announce', { hasText: /Par is rank \d+/ }).waitFor({ state: 'attached' });
  await page.screenshot({ path: join(SHOTS, 'practice.png'), fullPage: true });
  await axeCheck(page, 'practice result');
  await page.locator('#practice-stats', { hasText: 'Your practice: 1 court, 1 throw' }).waitFor();
  // A second throw on the same court, then the next court.
  await page.locator('#public-cards .pick').nth(1).click();
  await page.click('#submit');
  await page.locator('#practice-result details').waitFor();
  await page.click('#next-court');
  await page.waitForFunction((s) => document.querySelector('#practice .word.start')?.textContent !== s
    || !document.querySelector('#practice-result'), firstStart);
  assert.equal(await page.locator('#practice-result').count(), 0);
  assertClean(w);
});

test('a match against the computer, played to its end', async () => {
  const w = await context('solo');
  const page = await newPage(w);
  await page.goto(`${base}/`);
  await page.fill('#computer-form input[name=player]', 'Solo');
  await page.fill('#computer-form input[name=rounds]', '2');
  await page.click('#computer-form button[type=submit]');
  await page.waitForURL(/#\/match\//);
  await page.locator('#public-cards').waitFor();
  assert.match(await page.locator('.round-head h3').textContent(), /Round 1/);
  for (let round = 1; round <= 2; round++) {
    await throwMove(page, round === 2);
    // One person and a bot: the round resolves with the person's move, and says so.
    await page.locator('#resolution').waitFor();
    await page.locator('#announce', { hasText: `Round ${round} is over` }).waitFor({ state: 'attached' });
    assert.equal(await page.locator('#resolution tbody tr').count(), 2);
    await page.locator('#resolution tbody tr', { hasText: 'bot · medium' }).waitFor();
    if (round === 1) {
      await page.screenshot({ path: join(SHOTS, 'against-the-computer.png'), fullPage: true });
      await page.click('#next-round');
      await page.locator('.round-head h3', { hasText: 'Round 2' }).waitFor();
    }
  }
  await page.locator('#final tbody tr').nth(1).waitFor();
  assert.match(await page.textContent('#final .winner'), /wins!$/);
  assert.match(await page.textContent('#final'), /bot · medium/);
  // The stream ends with the match: the header says so, and does not try to reconnect.
  await page.locator('#live', { hasText: 'match over' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'against-the-computer-final.png'), fullPage: true });
  await axeCheck(page, 'final table');
  assertClean(w);
});
