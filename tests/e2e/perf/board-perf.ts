// Board UI measurements in real Chromium (docs/SPEC.md UI15), as
// functions the bench runner can call: a seeded backup generator (Node, with
// the core and pipeline), seeding a board through the Backup dialog, the
// keypress → card-on-screen latency, search typing → filtered board, and the
// cold open of a large board to its first render (`huskies:board-ready`).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { generateBackup, type BackupSize } from '../support/make-backup.js';

export { generateBackup, type BackupSize };

/** generateBackup, cached in the OS temp dir (a 100k-op file takes about a minute to sign). */
export async function cachedBackup(size: BackupSize): Promise<Uint8Array> {
  const dir = join(tmpdir(), 'huskies-ui-bench');
  const file = join(dir, `board-v3-${size.stories}-${size.ops}-${size.seed ?? 1}.huskylog`);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    const bytes = generateBackup(size);
    await mkdir(dir, { recursive: true });
    await writeFile(file, bytes);
    return bytes;
  }
}

/** Opens a new board in `page` and waits until it is open and initialised. */
export async function openNewBoard(page: Page): Promise<void> {
  await page.addInitScript(() => localStorage.setItem('huskies-name', 'Perf'));
  await page.goto('/');
  await expect(page.locator('[data-phase="open"]')).toBeVisible({ timeout: 60_000 });
}

/** Seeds the open board by importing a backup through the Backup dialog (UI11). */
export async function seedFromBackup(page: Page, bytes: Uint8Array, timeoutMs = 600_000): Promise<void> {
  await page.getByRole('button', { name: 'Backup' }).click();
  await page.getByLabel('Import backup').setInputFiles({ name: 'seed.huskylog', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) }, { timeout: timeoutMs });
  await expect(page.getByTestId('import-report')).toBeVisible({ timeout: timeoutMs });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('backup')).toHaveCount(0);
  await waitForPersisted(page, timeoutMs);
}

/** Waits (in the debug panel, which follows the status stream) until every applied op is written. */
export async function waitForPersisted(page: Page, timeoutMs = 600_000): Promise<void> {
  await page.getByRole('button', { name: 'Debug' }).click();
  await expect(page.locator('[data-key="pending persist"]')).toHaveText('0', { timeout: timeoutMs });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('debug')).toHaveCount(0);
}

export interface Timing { readonly median: number; readonly p95: number; readonly samples: number[] }

/** Work latency (until the DOM shows the result) and the same up to the next painted frame. */
export interface Latency { readonly dom: Timing; readonly frame: Timing }

function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!, samples };
}

const latency = (pairs: [number, number][]): Latency => ({ dom: summarise(pairs.map((p) => p[0])), frame: summarise(pairs.map((p) => p[1])) });

// How the page side of each measurement works. t0 is the keydown's own
// `timeStamp` (of the key itself, not of a modifier pressed before it): the time the browser took in the real key press (sent by
// Playwright through CDP's Input domain, as a user's key would go through
// the input pipeline), so input queueing counts, and no handler of ours runs
// before t0. "dom" ends when the result is in the DOM; "frame" ends after the
// next frame that shows it was rendered: a task posted from that frame's
// requestAnimationFrame callback runs once the frame's style, layout and
// paint are done.
declare global {
  interface Window {
    __huskiesPerf?: { arm(kind: 'key' | 'input', until: string | null): void; result(): Promise<[number, number]> };
  }
}

/** Installs window.__huskiesPerf in the page (idempotent). */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    if (window.__huskiesPerf) return;
    const afterFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => {
      const c = new MessageChannel();
      c.port1.onmessage = () => resolve(performance.now());
      c.port2.postMessage(0);
    }));
    // A macrotask: Svelte has flushed its effects (a microtask) by then.
    const task = () => new Promise<void>((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
    const MODIFIERS = new Set(['Alt', 'Control', 'Meta', 'Shift']);
    let pending: Promise<[number, number]> = Promise.reject(new Error('not armed'));
    pending.catch(() => undefined);
    window.__huskiesPerf = {
      // kind 'key': done when `until` (a selector) matches; 'input': done a task after the input event.
      arm(kind, until) {
        pending = new Promise<[number, number]>((resolve) => {
          const onKey = (e: KeyboardEvent) => {
            // Alt+→ is two keydowns; the move starts with the arrow's.
            if (MODIFIERS.has(e.key)) return;
            window.removeEventListener('keydown', onKey, true);
            const t0 = e.timeStamp;
            const finish = async () => {
              const dom = performance.now() - t0;
              const painted = await afterFrame();
              resolve([dom, painted - t0]);
            };
            if (kind === 'input') {
              window.addEventListener('input', () => { void task().then(finish); }, { capture: true, once: true });
              return;
            }
            const done = () => until !== null && document.querySelector(until) !== null;
            if (done()) { void finish(); return; }
            const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); void finish(); } });
            mo.observe(document.body, { childList: true, subtree: true });
          };
          window.addEventListener('keydown', onKey, true);
        });
      },
      result: () => pending,
    };
  });
}

/**
 * Waits until the page has rendered a frame and gone idle for a moment, then
 * `phaseMs` more. A key pressed a fixed time after a frame lands at the same
 * point of every 16.7 ms frame interval, and its painted figure then depends
 * on that point (one build gave medians of 8 and 19 ms in two runs, and a
 * key that changes one element 20 ms); sample `i` of a measurement waits
 * `framePhase(i)`, spread evenly over the interval as a person's keys are.
 */
async function settle(page: Page, phaseMs: number): Promise<void> {
  await page.evaluate((phase) => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 30 + phase))), phaseMs);
}

/** Sample i's offset in the frame interval: a golden-ratio sequence, deterministic and evenly spread. */
export function framePhase(i: number): number {
  return ((i * 0.6180339887498949) % 1) * (1000 / 60);
}

/**
 * Keypress → card on screen (UI5, UI15): focuses the top backlog card,
 * presses Alt+→ (then Alt+← on the way back) with a real key press and times
 * from the keydown until the card is in the target column (dom) and until
 * the next frame showing it is rendered (frame). `n` moves.
 */
export async function measureKeyMove(page: Page, n = 50): Promise<Latency> {
  await installProbe(page);
  const id = await page.evaluate(() => {
    const first = document.querySelector<HTMLElement>('[data-column="backlog"] [data-story-id]');
    if (!first) throw new Error('no card in backlog');
    return first.dataset.storyId!;
  });
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const [from, to, key] = i % 2 === 0 ? ['backlog', 'current', 'Alt+ArrowRight'] : ['current', 'backlog', 'Alt+ArrowLeft'];
    await page.evaluate(([from, to, id]) => {
      document.querySelector<HTMLElement>(`[data-column="${from}"] [data-story-id="${id}"]`)!.focus();
      window.__huskiesPerf!.arm('key', `[data-column="${to}"] [data-story-id="${id}"]`);
    }, [from, to, id] as const);
    await settle(page, framePhase(i));
    await page.keyboard.press(key);
    pairs.push(await page.evaluate(() => window.__huskiesPerf!.result()));
  }
  return latency(pairs);
}

/**
 * Typing in the search box → filtered board (UI10, UI15): real key presses
 * typing "Story 12" one character at a time (cleared with Escape between
 * words, untimed); times each keystroke from its keydown to the filtered DOM
 * and to the next rendered frame. `n` keystrokes.
 */
export async function measureSearchTyping(page: Page, n = 48): Promise<Latency> {
  await installProbe(page);
  const search = page.getByTestId('search');
  const word = 'Story 12';
  const pairs: [number, number][] = [];
  await search.focus();
  for (let i = 0; i < n; i++) {
    const k = i % word.length;
    if (k === 0) { await page.keyboard.press('Escape'); await expect(search).toHaveValue(''); }
    await page.evaluate(() => window.__huskiesPerf!.arm('input', null));
    await settle(page, framePhase(i));
    await page.keyboard.press(word[k]!);
    pairs.push(await page.evaluate(() => window.__huskiesPerf!.result()));
  }
  await page.keyboard.press('Escape');
  await expect(search).toHaveValue('');
  return latency(pairs);
}

/** Runs `fn(db)` on the open room's IndexedDB database from the page (the room id is in the link's fragment). */
async function withRoomDb<T>(page: Page, fn: string): Promise<T> {
  return page.evaluate(async (body) => {
    const room = new URLSearchParams(location.hash.slice(1)).get('room');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(`huskies-room-${room}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    try {
      return await (new Function('db', body) as (db: IDBDatabase) => Promise<T>)(db);
    } finally {
      db.close();
    }
  }, fn);
}

/** How many log ops a derived record in the room's meta store covers (its `upTo`; 0 when none). */
function metaUpTo(page: Page, key: string): Promise<number> {
  return withRoomDb<number>(page, `return new Promise((resolve, reject) => {
    const r = db.transaction('meta').objectStore('meta').get(${JSON.stringify(key)});
    r.onsuccess = () => resolve(r.result && typeof r.result.upTo === 'number' ? r.result.upTo : 0);
    r.onerror = () => reject(r.error);
  });`);
}

/** How many log ops the snapshot the app stored covers (0 when none; REPL12). */
export const snapshotOps = (page: Page): Promise<number> => metaUpTo(page, 'snapshot');

/** How many log ops the app's board-view cache covers (0 when none; REPL15). */
export const viewCacheOps = (page: Page): Promise<number> => metaUpTo(page, 'boardView');

/** How many ops the room's log holds: one id-index entry per op, whether a record holds one op or a run (STORE15). */
export async function logOps(page: Page): Promise<number> {
  return withRoomDb<number>(page, `return new Promise((resolve, reject) => {
    const r = db.transaction('ops').objectStore('ops').index('id').count();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });`);
}

/** Waits until the app itself has written a snapshot covering at least `ops` records (it does when quiet, REPL12). */
export async function waitForSnapshot(page: Page, ops: number, timeoutMs = 300_000): Promise<void> {
  await expect.poll(() => snapshotOps(page), { timeout: timeoutMs, intervals: [500, 1000, 2000] }).toBeGreaterThanOrEqual(ops);
}

/** Deletes the app's snapshot and view cache, so the next open replays the whole log (the first open after an upgrade). */
export async function deleteSnapshot(page: Page): Promise<void> {
  await withRoomDb<void>(page, `return new Promise((resolve, reject) => {
    const tx = db.transaction('meta', 'readwrite');
    tx.objectStore('meta').delete('snapshot');
    tx.objectStore('meta').delete('boardView');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });`);
}

/**
 * Cold open (UI15, REPL12) both ways, each a fresh page load of the
 * profile's IndexedDB: without a snapshot (deleted first: the whole log is
 * replayed, as on the first open after an upgrade), then — once the app has
 * written its own snapshot — with it. Navigation start → `huskies:board-ready`, ms.
 */
export async function measureColdOpens(page: Page, ops: number): Promise<{ withoutSnapshot: number; withSnapshot: number }> {
  await deleteSnapshot(page);
  const withoutSnapshot = await measureColdOpen(page);
  await waitForSnapshot(page, ops);
  const withSnapshot = await measureColdOpen(page);
  return { withoutSnapshot, withSnapshot };
}

/** Cold open (UI15): reloads and reads navigation start → `huskies:board-ready`, in ms. */
export async function measureColdOpen(page: Page): Promise<number> {
  await page.reload();
  await page.waitForFunction(() => performance.getEntriesByName('huskies:board-ready').length > 0, undefined, { timeout: 300_000 });
  return page.evaluate(() => performance.getEntriesByName('huskies:board-ready')[0]!.startTime);
}
