// Board UI measurements in real Chromium (docs/spec-ui.md UI15), as
// functions the bench runner can call: a seeded backup generator (Node, with
// the core and pipeline), seeding a board through the Backup dialog, the
// keypress → card-on-screen latency, search typing → filtered board, and the
// cold open of a large board to its first render (`huskies:board-ready`).
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { Document, HEAD, ROOT, keyPairFromSeed, toHex, type LocalAction, type ObjId } from '../../../src/core/index.js';
import { validateOpForBoard } from '../../../src/pipeline/index.js';
import { encodeLogFile } from '../../../src/protocol/log-file.js';
import { Prng } from '../../support/prng';

export interface BackupSize {
  /** Stories created (one op each). */
  readonly stories: number;
  /** Ops in total (the rest are edits spread over the stories). */
  readonly ops: number;
  readonly seed?: number;
}

const STAGES = ['backlog', 'current', 'qa', 'merge', 'done'] as const;
const KINDS = ['story', 'bug', 'spike', 'refactor'] as const;
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A valid rank (PIPE5) that sorts like `i`: four base-62 digits and a final 'V'. */
function rankOf(i: number): string {
  let out = '';
  for (let k = 0; k < 4; k++) { out = DIGITS[i % 62]! + out; i = Math.floor(i / 62); }
  return `${out}V`;
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): Node's native signer is ~30× noble.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A signed backup file (REPL7) of a board with `stories` stories and `ops`
 * ops in all: init, one create per story, then seeded edits (title, stage,
 * criterion ticks). Deterministic for a seed; signed with a fixed test key.
 */
export function generateBackup(size: BackupSize): Uint8Array {
  const seed = new Uint8Array(32).fill(7);
  const author = toHex(keyPairFromSeed(seed).publicKey);
  const key: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const doc = new Document({ validate: validateOpForBoard });
  const commit = (actions: LocalAction[]) => {
    const p = doc.prepare(author, actions);
    return doc.commit(p, new Uint8Array(nodeSign(null, p.idBytes, key)));
  };
  const now = 1_700_000_000_000;
  const init = commit([
    { type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } },
    { type: 'set', obj: ROOT, key: 'settings', value: { make: 'map' } },
    { type: 'set', obj: { self: 1 }, key: 'autoPromote', value: false },
    // Far in the future: the bench's old timestamps must not trigger auto-archiving (PIPE22).
    { type: 'set', obj: { self: 1 }, key: 'archiveAfterMs', value: 100 * 365 * 24 * 3600 * 1000 },
    { type: 'set', obj: { self: 1 }, key: 'retryLimit', value: 3 },
    { type: 'set', obj: ROOT, key: 'names', value: { make: 'map' } },
  ]);
  const list: ObjId = `${init.id}:0`;
  const stories: { elem: ObjId; criteria: ObjId[] }[] = [];
  for (let i = 0; i < size.stories; i++) {
    const stage = STAGES[i % STAGES.length]!;
    const actions: LocalAction[] = [{ type: 'ins', obj: list, after: HEAD, value: { make: 'map' } }];
    const s = { self: 0 };
    const fields = {
      id: `S-${i.toString(36).padStart(8, '0')}`, kind: KINDS[i % 4]!, title: `Story ${i}: make the board faster`,
      description: `As a user I want item ${i} to work.`, stage, assignee: `agent-${i % 7}`, blocked: false, blockedReason: null,
      retries: 0, archiveReason: null, rank: rankOf(i), createdBy: author, createdAt: now + i, updatedBy: author, updatedAt: now + i, doneAt: stage === 'done' ? now + i : null,
    };
    for (const [k, v] of Object.entries(fields)) actions.push({ type: 'set', obj: s, key: k, value: v });
    const cl = actions.length;
    actions.push({ type: 'set', obj: s, key: 'criteria', value: { make: 'list' } });
    const crit: number[] = [];
    let after: string | { self: number } = HEAD;
    for (const text of ['it builds', 'it is tested', 'it is documented']) {
      const at = actions.length;
      crit.push(at);
      actions.push({ type: 'ins', obj: { self: cl }, after, value: { make: 'map' } });
      actions.push({ type: 'set', obj: { self: at }, key: 'text', value: text });
      actions.push({ type: 'set', obj: { self: at }, key: 'done', value: false });
      after = { self: at };
    }
    actions.push({ type: 'set', obj: s, key: 'dependsOn', value: { make: 'map' } });
    const op = commit(actions);
    stories.push({ elem: `${op.id}:0`, criteria: crit.map((c) => `${op.id}:${c}`) });
  }
  const prng = new Prng(size.seed ?? 1);
  const r = () => prng.float();
  for (let i = doc.ops().length; i < size.ops; i++) {
    const story = stories[Math.floor(r() * stories.length)]!;
    const k = r();
    const touch: LocalAction[] = [
      { type: 'set', obj: story.elem, key: 'updatedBy', value: author },
      { type: 'set', obj: story.elem, key: 'updatedAt', value: now + size.stories + i },
    ];
    if (k < 0.4) commit([{ type: 'set', obj: story.elem, key: 'title', value: `Renamed ${i}` }, ...touch]);
    else if (k < 0.7) commit([{ type: 'set', obj: story.criteria[Math.floor(r() * 3)]!, key: 'done', value: r() < 0.5 }, ...touch]);
    else commit([{ type: 'set', obj: story.elem, key: 'description', value: `Edited ${i}: still about the board.` }, ...touch]);
  }
  return encodeLogFile(doc.ops().map((op) => op.bytes));
}

/** generateBackup, cached in the OS temp dir (a 100k-op file takes about a minute to sign). */
export async function cachedBackup(size: BackupSize): Promise<Uint8Array> {
  const dir = join(tmpdir(), 'huskies-ui-bench');
  const file = join(dir, `board-v2-${size.stories}-${size.ops}-${size.seed ?? 1}.huskylog`);
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
  await page.getByLabel('Import backup').setInputFiles({ name: 'seed.huskylog', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
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

/**
 * Keypress → card on screen (UI5, UI15): focuses the top backlog card,
 * presses Alt+→ (then Alt+← on the way back) and times until the card is in
 * the target column (dom) and until the next frame (frame). `n` moves.
 */
export async function measureKeyMove(page: Page, n = 50): Promise<Latency> {
  const pairs = await page.evaluate(async (count) => {
    const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
    const until = (test: () => boolean) => new Promise<void>((resolve) => {
      if (test()) { resolve(); return; }
      const mo = new MutationObserver(() => { if (test()) { mo.disconnect(); resolve(); } });
      mo.observe(document.body, { childList: true, subtree: true });
    });
    const out: [number, number][] = [];
    const first = document.querySelector<HTMLElement>('[data-column="backlog"] [data-story-id]');
    if (!first) throw new Error('no card in backlog');
    const id = first.dataset.storyId!;
    for (let i = 0; i < count; i++) {
      const [from, to, key] = i % 2 === 0 ? ['backlog', 'current', 'ArrowRight'] : ['current', 'backlog', 'ArrowLeft'];
      const card = document.querySelector<HTMLElement>(`[data-column="${from}"] [data-story-id="${id}"]`)!;
      card.focus();
      await frame();
      const t0 = performance.now();
      card.dispatchEvent(new KeyboardEvent('keydown', { key, altKey: true, bubbles: true, cancelable: true }));
      await until(() => document.querySelector(`[data-column="${to}"] [data-story-id="${id}"]`) !== null);
      const dom = performance.now() - t0;
      await frame();
      out.push([dom, performance.now() - t0]);
    }
    return out;
  }, n);
  return latency(pairs);
}

/** Typing in the search box → filtered board (UI10, UI15); `n` keystrokes. */
export async function measureSearchTyping(page: Page, n = 50): Promise<Latency> {
  const pairs = await page.evaluate(async (count) => {
    const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
    // A macrotask: Svelte has flushed its effects (a microtask) by then.
    const task = () => new Promise<void>((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
    const input = document.querySelector<HTMLInputElement>('[data-testid="search"]')!;
    const out: [number, number][] = [];
    const words = ['S', 'St', 'Sto', 'Stor', 'Story', 'Story 1', 'Story 12', ''];
    for (let i = 0; i < count; i++) {
      await frame();
      input.value = words[i % words.length]!;
      const t0 = performance.now();
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await task();
      const dom = performance.now() - t0;
      await frame();
      out.push([dom, performance.now() - t0]);
    }
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return out;
  }, n);
  return latency(pairs);
}

/** Cold open (UI15): reloads and reads navigation start → `huskies:board-ready`, in ms. */
export async function measureColdOpen(page: Page): Promise<number> {
  await page.reload();
  await page.waitForFunction(() => performance.getEntriesByName('huskies:board-ready').length > 0, undefined, { timeout: 300_000 });
  return page.evaluate(() => performance.getEntriesByName('huskies:board-ready')[0]!.startTime);
}
