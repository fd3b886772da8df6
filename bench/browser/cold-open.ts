// Browser benchmark (issues 4 and 6): cold open of a large board in Chromium,
// each sample a NEW browser process over a copy of one seeded profile, so the
// page, its worker and IndexedDB all start cold. Three figures:
// - without a snapshot (the first open after an upgrade, or after the
//   snapshot was found bad): the log is read and replayed whole;
// - with the snapshot the app itself wrote (REPL12): the snapshot plus the
//   tail of the log, the app shell from the service worker that open
//   installed (as for anyone who has the board: until session 5 this sample
//   dropped the service worker too, which cost it ~0.3–0.4 s of fetching and
//   precaching the shell during the open), navigated to as soon as the
//   browser is up;
// - the same, navigated to once the new browser has finished starting (the
//   machine's CPUs idle again), as when someone clicks the room link in a
//   browser that is already running. A browser process just launched spends
//   1.5–2.2 s of CPU in the first seconds on its own UI (Chromium 156 loads
//   its omnibox popup WebUI in a renderer of its own), which on this
//   two-core machine competes with the page and its worker.
// The seeded profile (an imported backup, every op verified) is cached in the
// OS temp dir, keyed by size, because importing 100,000 ops takes minutes.
// Sizes shrink with HUSKIES_BENCH_BOARD_SCALE (0–1); HUSKIES_BENCH_RUNS samples.
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { startApp } from '../browser-app.js';
import { cachedBackup, openNewBoard, seedFromBackup } from '../../tests/e2e/perf/board-perf.js';

const SCALE = Number(process.env.HUSKIES_BENCH_BOARD_SCALE ?? 1);
const PORT = Number(process.env.HUSKIES_BENCH_PORT ?? 8798);
const RUNS = Number(process.env.HUSKIES_BENCH_RUNS ?? 3);
const BASE = `http://127.0.0.1:${PORT}`;

async function launch(dir: string): Promise<BrowserContext> {
  const ctx = await chromium.launchPersistentContext(dir, { ...chromiumLaunchOptions(), baseURL: BASE });
  // tsx keeps function names with an `__name` helper; give the page a no-op one.
  await ctx.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  return ctx;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Busy and total CPU jiffies of the whole machine (/proc/stat). */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const xs = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (xs[3] ?? 0) + (xs[4] ?? 0);
  const total = xs.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine's CPUs are at most 20 % busy over a 250 ms
 * window (the new browser has finished starting), at most `maxMs`; resolves
 * with how long that took. Where /proc/stat is missing it resolves at once.
 */
async function cpusQuiet(maxMs = 20_000): Promise<number> {
  const t0 = Date.now();
  let before = await cpuJiffies().catch(() => undefined);
  if (before === undefined) return 0;
  while (Date.now() - t0 < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await cpuJiffies();
    const busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    before = now;
    if (busy <= 0.2) break;
  }
  return Date.now() - t0;
}

/** A profile holding a board of `ops` ops (and the page URL with its room link); seeded once, then cached. */
async function seededProfile(ops: number): Promise<{ dir: string; url: string }> {
  // The profile's IndexedDB belongs to the origin it was seeded on: one cache per port.
  const dir = join(tmpdir(), 'huskies-ui-bench', `profile-cold-${ops}-port-${PORT}`);
  const urlFile = `${dir}.url`;
  if (await exists(urlFile)) return { dir, url: await readFile(urlFile, 'utf8') };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const ctx = await launch(dir);
  const page = await ctx.newPage();
  await openNewBoard(page);
  await seedFromBackup(page, await cachedBackup({ stories: Math.round(ops / 10), ops }), 1_500_000);
  const url = page.url();
  await ctx.close();
  await writeFile(urlFile, url);
  return { dir, url };
}

/**
 * Drops the service worker and its caches, so every sample loads this build
 * of the app shell the same way (a profile seeded by an older build would
 * otherwise serve that build's precached shell to its first open).
 */
async function dropServiceWorker(page: Page): Promise<void> {
  await page.goto('/manifest.webmanifest');
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    for (const k of await caches.keys()) await caches.delete(k);
  });
}

/** Deletes the app's snapshot and board-view cache from the room database (run on a page of the app's origin). */
async function deleteSnapshot(page: Page, roomUrl: string): Promise<void> {
  await dropServiceWorker(page);
  await page.evaluate(async (url) => {
    const room = new URLSearchParams(new URL(url).hash.slice(1)).get('room');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(`huskies-room-${room}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('meta', 'readwrite');
      tx.objectStore('meta').delete('snapshot');
      tx.objectStore('meta').delete('boardView');
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, roomUrl);
}

interface Sample { readonly ms: number; readonly shownMs: number; readonly log: string[] }

/**
 * One cold open: a new browser over `dir`. Two figures from navigation start:
 * `huskies:board-shown` (the first board on screen — from the worker's cached
 * view when it has a sound one, REPL15; commands sent then wait in the worker)
 * and `huskies:board-ready` (the worker is open and its own board is on
 * screen: commands run at once).
 */
async function coldOpen(dir: string, url: string, options: { before?: (page: Page) => Promise<void>; quiet?: boolean } = {}): Promise<Sample> {
  if (options.before) {
    const prep = await launch(dir);
    await options.before(prep.pages()[0] ?? await prep.newPage());
    await prep.close();
  }
  const ctx = await launch(dir);
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const log: string[] = [];
  if (options.quiet) log.push(`[bench] the browser started and the CPUs went quiet in ${await cpusQuiet()} ms; navigating now`);
  page.on('console', (m) => { if (m.text().startsWith('[huskies]')) log.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('huskies:board-ready').length > 0, undefined, { timeout: 300_000 });
  const [ms, shownMs] = await page.evaluate(() => ['huskies:board-ready', 'huskies:board-shown'].map((m) => performance.getEntriesByName(m)[0]?.startTime ?? NaN));
  // Interactive: a command works (create a story) and its card shows.
  const title = `cold-open probe ${Date.now()}`;
  const t0 = Date.now();
  await page.keyboard.press('n');
  await page.getByLabel('Title').fill(title);
  await page.keyboard.press('Enter');
  // The card may sit below a column's first page; the announcement says the command succeeded.
  await page.getByText(`Created ${title}`).first().waitFor({ state: 'attached', timeout: 60_000 });
  log.push(`[bench] first command after board-ready: ${Date.now() - t0} ms (incl. typing)`);
  // Let the app write what it writes when idle (its snapshot), then close.
  await page.waitForTimeout(Number(process.env.HUSKIES_BENCH_SETTLE_MS ?? 8_000));
  await ctx.close();
  return { ms: ms!, shownMs: shownMs!, log };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<Record<string, number>> {
  const ops = Math.max(1_000, Math.round(100_000 * SCALE));
  const stop = await startApp(PORT);
  try {
    const seeded = await seededProfile(ops);
    const without: number[] = [];
    const withSnap: number[] = [];
    const shownWithout: number[] = [];
    const shownWith: number[] = [];
    const running: number[] = [];
    const shownRunning: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'huskies-cold-'));
      try {
        await cp(seeded.dir, dir, { recursive: true });
        // No snapshot and no view cache (as after an upgrade): delete them, then open (this open writes both when idle).
        const a = await coldOpen(dir, seeded.url, { before: (p) => deleteSnapshot(p, seeded.url) });
        without.push(a.ms);
        shownWithout.push(a.shownMs);
        // With the snapshot the previous open wrote, and the service worker it
        // installed (this build's): a returning visitor's open.
        const b = await coldOpen(dir, seeded.url);
        withSnap.push(b.ms);
        shownWith.push(b.shownMs);
        // The same, in a browser that has finished starting (a room link clicked in a running browser).
        const c = await coldOpen(dir, seeded.url, { quiet: true });
        running.push(c.ms);
        shownRunning.push(c.shownMs);
        console.error(`run ${i + 1}: without snapshot: shown ${a.shownMs.toFixed(0)} ms, ready ${a.ms.toFixed(0)} ms; with the app's snapshot and view cache: shown ${b.shownMs.toFixed(0)} ms, ready ${b.ms.toFixed(0)} ms; the same in a browser that has finished starting: shown ${c.shownMs.toFixed(0)} ms, ready ${c.ms.toFixed(0)} ms`);
        for (const line of [...a.log, '--', ...b.log, '--', ...c.log]) console.error(`  ${line}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    return {
      coldOpenOps: ops,
      coldOpenNoSnapshotMedianMs: median(without), coldOpenNoSnapshotShownMedianMs: median(shownWithout),
      coldOpenSnapshotMedianMs: median(withSnap), coldOpenSnapshotShownMedianMs: median(shownWith),
      coldOpenRunningBrowserMedianMs: median(running), coldOpenRunningBrowserShownMedianMs: median(shownRunning),
    };
  } finally {
    stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
