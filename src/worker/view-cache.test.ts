// The board-view cache (REPL15): written beside the snapshot when the log
// is quiet, exactly the worker's full patch for the log it covers, refused
// with a reason when damaged, of another version or out of date — and an
// open never depends on it.
import { describe, expect, test } from 'vitest';
import { MemoryOpStore, createMemoryBacking } from '../storage/memory-op-store.js';
import type { MetaStore, OpStore } from '../storage/op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { Replica, type BoardPatch } from './replica.js';
import { SNAPSHOT_KEY } from './snapshot-keeper.js';
import { FIRST_SCREEN, VIEW_CACHE_KEY, VIEW_CACHE_VERSION, VIEW_TAIL_MAX, WHOLE_BOARD_PART, firstScreen, readViewCache, viewChecksum, viewRecord, wholeBoardJson, type StoredBoardView } from './view-cache.js';
import { STAGES, type BoardView, type StoryView } from '../pipeline/index.js';

const seed = (n: number) => new Uint8Array(32).fill(n);

function openReplica(store: OpStore, meta: MetaStore, clock: ManualClock, viewCacheCovers?: number): Promise<Replica> {
  return Replica.open({
    roomId: 'room-1', store, meta, signer: new NobleSigner(seed(1)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(11), schedule: clock.schedule, replicaId: 'r1',
    ...(viewCacheCovers === undefined ? {} : { viewCacheCovers }),
  });
}

/** The cached whole board's text. */
async function wholeText(board: Blob | string | undefined): Promise<string> {
  if (board === undefined) throw new Error('no whole board cached');
  return typeof board === 'string' ? board : board.text();
}

/** A page's board: the stories of a full patch with later patches folded in, by id. */
function fold(full: BoardPatch, ...patches: BoardPatch[]): Map<string, StoryView> {
  const stories = new Map(full.upserts.map((st) => [st.id, st]));
  for (const p of patches) {
    for (const st of p.upserts) stories.set(st.id, st);
    for (const id of p.removed) stories.delete(id);
  }
  return stories;
}

/** What the keeper's idle timer does once every op is written (run directly: no timer races). */
async function quiet(r: Replica): Promise<void> {
  await r.flushed();
  await r.writeSnapshot();
}

async function board(clock: ManualClock) {
  const backing = createMemoryBacking();
  const store = new MemoryOpStore(backing);
  const r = await openReplica(store, store, clock);
  await r.initBoard();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = r.newStoryId();
    await r.command({ type: 'create', input: { id, kind: 'story', title: `Story ${i} ✓`, criteria: ['works'] } });
    ids.push(id);
  }
  await r.command({ type: 'move', storyId: ids[1]!, stage: 'qa' });
  return { backing, store, r, ids };
}

describe('board-view cache', () => {
  test('[REPL15] when quiet the replica caches its full patch for exactly the log it covers', async () => {
    const clock = new ManualClock();
    const { store, r, ids } = await board(clock);
    await quiet(r);
    const read = await readViewCache(store, store);
    expect(read).toMatchObject({ ok: true, json: JSON.stringify(firstScreen(r.view(), r.fullPatch().meta!)), upTo: r.doc.opCount });
    // A new op leaves it one record behind the log: still usable for what it covers, until the next quiet spell rewrites it.
    const covered = r.doc.opCount;
    await r.command({ type: 'edit', storyId: ids[0]!, patch: { title: 'later' } });
    await r.flushed();
    expect(await readViewCache(store, store)).toMatchObject({ ok: true, upTo: covered });
    await quiet(r);
    expect(await readViewCache(store, store)).toMatchObject({ ok: true, upTo: covered + 1 });
    const again = await readViewCache(store, store);
    // The first screen is the full patch (this board fits in it) without the page-command count (UI17).
    const { commands: _commands, ...full } = r.fullPatch();
    expect(again.ok && JSON.parse(again.json)).toEqual(JSON.parse(JSON.stringify({ ...full, totals: { backlog: 4, current: 0, qa: 1, merge: 0, done: 0, archived: 0 } })));
    r.close();
  });

  test('[REPL15] a missing, damaged, foreign or stale cache is refused with its reason, never thrown', async () => {
    const clock = new ManualClock();
    const { store, r } = await board(clock);
    await quiet(r);
    const good = (await store.get(VIEW_CACHE_KEY)) as StoredBoardView;
    expect(good.version).toBe(VIEW_CACHE_VERSION);
    r.close();
    const damaged = good.json.slice(0, 40) + 'X' + good.json.slice(41);
    const firstId = (await store.loadAll())[0]!.id;
    const cases: [unknown, RegExp][] = [
      [undefined, /none stored/],
      ['not a record', /wrong shape/],
      [{ ...good, json: 7 }, /wrong shape/],
      [{ ...good, version: VIEW_CACHE_VERSION + 1 }, /version/],
      [{ ...good, json: damaged }, /checksum/],
      [{ ...good, json: good.json.slice(0, 100) }, /checksum/],
      [{ ...good, lastId: 'f'.repeat(64) }, /does not match the log/],
      [viewRecord(good.json, 0, null), /empty log/],
    ];
    for (const [value, reason] of cases) {
      await store.set(VIEW_CACHE_KEY, value);
      const read = await readViewCache(store, store);
      expect(read.ok, String(reason)).toBe(false);
      if (!read.ok) expect(read.reason).toMatch(reason);
    }
    // More than VIEW_TAIL_MAX records after it: too far behind the log to show.
    const long = new MemoryOpStore();
    const hex = (i: number) => i.toString(16).padStart(64, '0');
    await long.append(Array.from({ length: VIEW_TAIL_MAX + 2 }, (_, i) => ({ id: hex(i), bytes: new Uint8Array([i & 255]) })));
    for (const [lastId, ok] of [[hex(0), false], [hex(1), true]] as const) {
      await long.set(VIEW_CACHE_KEY, { ...good, lastId });
      expect(await readViewCache(long, long), lastId).toMatchObject(ok ? { ok } : { ok, reason: expect.stringMatching(/log has changed since it was written \(501 records after it\)/) });
    }
    await store.set(VIEW_CACHE_KEY, { ...good, lastId: firstId });
    expect(await readViewCache(store, store)).toMatchObject({ ok: true });
    const failing: MetaStore = { get: async () => { throw new Error('disk on fire'); }, set: async () => undefined };
    expect(await readViewCache(store, failing)).toEqual({ ok: false, reason: 'could not read it: disk on fire' });
    // The replica opens from the log and snapshot whatever the cache holds, and rewrites a sound one when quiet.
    await store.set(VIEW_CACHE_KEY, { ...good, json: damaged });
    const reopened = await openReplica(store, store, clock);
    expect(reopened.view().stories.length).toBe(5);
    await quiet(reopened);
    expect((await readViewCache(store, store)).ok).toBe(true);
    reopened.close();
  });

  test('[REPL15] the first screen is the top of every column, with every column\'s true size', () => {
    const story = (stage: string, i: number) => ({ id: `${stage}-${i}`, stage }) as unknown as StoryView;
    const sizes = { backlog: FIRST_SCREEN + 7, current: 3, qa: 0, merge: FIRST_SCREEN, done: 1, archived: 2 * FIRST_SCREEN };
    const byStage = Object.fromEntries(STAGES.map((st) => [st, Array.from({ length: sizes[st] }, (_, i) => story(st, i))])) as unknown as BoardView['byStage'];
    const view = { byStage, stories: STAGES.flatMap((st) => byStage[st]) } as unknown as BoardView;
    const meta = { initialised: true, settings: { autoPromote: false, archiveAfterMs: 1, retryLimit: 3 }, names: {}, purgedIds: [], issues: [] };
    const screen = firstScreen(view, meta);
    expect(screen.totals).toEqual(sizes);
    expect(screen.meta).toBe(meta);
    expect(screen.upserts).toEqual(STAGES.flatMap((st) => byStage[st].slice(0, FIRST_SCREEN)));
  });

  test('[REPL15] the whole board is cached with the first screen: the worker\'s full patch, reflecting no page command', async () => {
    const clock = new ManualClock();
    const { store, r } = await board(clock);
    await quiet(r);
    const read = await readViewCache(store, store);
    expect(read.ok).toBe(true);
    const { commands: _commands, ...full } = r.fullPatch();
    expect(JSON.parse(await wholeText(read.ok ? read.board : undefined))).toEqual(JSON.parse(JSON.stringify({ ...full, commands: 0 })));
    r.close();
  });

  test('[REPL15] the whole board\'s JSON comes in parts of WHOLE_BOARD_PART stories that make up the full patch', () => {
    const n = 2 * WHOLE_BOARD_PART + 7;
    const stories = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, stage: 'backlog', title: `"${i}" ✓` }) as unknown as StoryView);
    const view = { stories, byStage: {} } as unknown as BoardView;
    const meta = { initialised: true, settings: { autoPromote: false, archiveAfterMs: 1, retryLimit: 3 }, names: { ab: 'Ada' }, purgedIds: ['x'], issues: [] };
    const parts = [...wholeBoardJson(view, meta)];
    expect(parts.length).toBe(3);
    expect(JSON.parse(parts.join(''))).toEqual({ full: true, upserts: stories, removed: [], meta, commands: 0 });
    const none = [...wholeBoardJson({ stories: [], byStage: {} } as unknown as BoardView, meta)].join('');
    expect(JSON.parse(none)).toEqual({ full: true, upserts: [], removed: [], meta, commands: 0 });
  });

  test('[REPL15] a replica opened at the cached view gives only what changed since; cached board plus changes is its own board', async () => {
    const clock = new ManualClock();
    const { store, r, ids } = await board(clock);
    await quiet(r);
    r.close();
    const read = await readViewCache(store, store);
    if (!read.ok) throw new Error(read.reason);
    const cached = JSON.parse(await wholeText(read.board)) as BoardPatch;
    const opened = await openReplica(store, store, clock, read.upTo);
    expect(opened.patchSince(read.upTo + 1)).toBeUndefined();
    expect(opened.patchSince(read.upTo)).toMatchObject({ full: false, upserts: [], removed: [], meta: opened.fullPatch().meta });
    await opened.command({ type: 'edit', storyId: ids[0]!, patch: { title: 'since' } });
    await opened.command({ type: 'purge', storyId: ids[2]! });
    const delta = opened.patchSince(read.upTo)!;
    expect(delta.upserts.map((st) => st.id)).toContain(ids[0]);
    expect(delta.removed).toEqual([ids[2]]);
    expect(fold(cached, delta)).toEqual(fold(opened.fullPatch()));
    // The cached board matches the replica's own view of the same ops; once settled, no more changes-since.
    expect(await opened.settleCachedView(read.board)).toBe(true);
    expect(opened.patchSince(read.upTo)).toBeUndefined();
    opened.close();
    // Opened with the log two records past the cached view (the edit and the purge came after it): still
    // only the changes since, and the cached board matches the replica's view of the records it covers.
    const later = await openReplica(store, store, clock, read.upTo);
    const since = later.patchSince(read.upTo)!;
    expect(since.full).toBe(false);
    expect(since.removed).toEqual([ids[2]]);
    expect(since.upserts.map((st) => st.id)).toEqual([ids[0]]);
    expect(fold(cached, since)).toEqual(fold(later.fullPatch()));
    expect(await later.settleCachedView(read.board)).toBe(true);
    later.close();
    // A cached view older than the snapshot (its records were not replayed here): the full board.
    const old = await store.get(VIEW_CACHE_KEY);
    await store.set(SNAPSHOT_KEY, undefined); // the next open finds none and writes one at once
    const newer = await openReplica(store, store, clock);
    await quiet(newer);
    newer.close();
    expect(newer.openReport().stored?.upTo).toBe(read.upTo + 2);
    await store.set(VIEW_CACHE_KEY, old);
    const past = await openReplica(store, store, clock, read.upTo);
    expect(past.patchSince(read.upTo)).toBeUndefined();
    past.close();
  });

  test('[REPL15] a cached view inside the log\'s tail: the replica folds the tail in two steps and gives what the records after the view changed', async () => {
    const clock = new ManualClock();
    const { store, r, ids } = await board(clock);
    await quiet(r); // snapshot and view at the same record
    await r.command({ type: 'edit', storyId: ids[3]!, patch: { title: 'before the view' } });
    await r.flushed();
    await r.writeSnapshot(); // the view only: the snapshot waits for more records
    const read = await readViewCache(store, store);
    if (!read.ok) throw new Error(read.reason);
    const cached = JSON.parse(await wholeText(read.board)) as BoardPatch;
    expect(cached.upserts.find((st) => st.id === ids[3])?.title).toBe('before the view');
    await r.command({ type: 'move', storyId: ids[4]!, stage: 'current' });
    await r.flushed();
    r.close();
    const opened = await openReplica(store, store, clock, read.upTo);
    expect(opened.openReport()).toMatchObject({ openedFrom: 'snapshot', replayedOps: 2 });
    const since = opened.patchSince(read.upTo)!;
    expect(since.upserts.map((st) => st.id)).toEqual([ids[4]]);
    expect(fold(cached, since)).toEqual(fold(opened.fullPatch()));
    expect(await opened.settleCachedView(read.board)).toBe(true);
    opened.close();
  });

  test('[REPL15] background work waits until the page has sent no command for the quiet time', async () => {
    const clock = new ManualClock();
    const { r, ids } = await board(clock);
    const ran: number[] = [];
    r.whenPageIdle(1_000, () => ran.push(clock.now()));
    const start = clock.now();
    clock.advance(600);
    await r.command({ type: 'edit', storyId: ids[0]!, patch: { title: 'busy' } }, true);
    clock.advance(400); // a second after the call, but 400 ms after a command
    expect(ran).toEqual([]);
    clock.advance(599);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual([start + 1_600]);
    // Commands that are not the page's (sync, automations) do not hold it back.
    r.whenPageIdle(1_000, () => ran.push(clock.now()));
    await r.command({ type: 'edit', storyId: ids[1]!, patch: { title: 'remote' } });
    clock.advance(1_000);
    expect(ran).toEqual([start + 1_600, start + 2_600]);
    r.close();
  });

  test('[REPL15] a cached board that differs from the worker\'s own view is replaced by the full board', async () => {
    const clock = new ManualClock();
    const { store, r } = await board(clock);
    await quiet(r);
    r.close();
    const read = await readViewCache(store, store);
    if (!read.ok) throw new Error(read.reason);
    const opened = await openReplica(store, store, clock, read.upTo);
    const patches: BoardPatch[] = [];
    opened.onBoard((p) => patches.push(p));
    const text = await wholeText(read.board);
    const wrong = text.replace('"Story 0 ✓"', '"Story zero"');
    expect(wrong).not.toBe(text);
    expect(await opened.settleCachedView(wrong)).toBe(false);
    expect(patches).toEqual([opened.fullPatch()]);
    opened.close();
    // Longer or shorter than the worker's own serialisation: also different.
    for (const other of [`${text} `, text.slice(0, -1)]) {
      const again = await openReplica(store, store, clock, read.upTo);
      expect(await again.settleCachedView(other)).toBe(false);
      again.close();
    }
  });

  test('[REPL15] the checksum is FNV-1a over UTF-16 code units', () => {
    expect(viewChecksum('')).toBe(0x811c9dc5);
    expect(viewChecksum('a')).toBe(0xe40c292c);
    expect(viewChecksum('✓')).not.toBe(viewChecksum('\u0013'));
  });
});
