// The worker API over real storage (fake-indexeddb): an open paints from the
// cached view before the document is restored, and commands sent while the
// worker opens wait for it and run after, in order — none is lost (REPL15).
import { expect, test } from 'vitest';
import 'fake-indexeddb/auto';
import { IdbOpStore } from '../storage/idb-op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { Replica, type BoardPatch } from './replica.js';
import { createWorkerApi, type SubscriberMessage, type WorkerApi } from './api.js';
import { FEED_LIMIT, type BoardEvent } from '../pipeline/index.js';
import { generateBackup } from '../../tests/e2e/support/make-backup.js';

/** Subscribes and assembles the first board from its parts, as the page's client does; also returns the parts. */
async function firstBoard(api: WorkerApi, have?: number): Promise<{ full: BoardPatch; parts: number }> {
  const { port1, port2 } = new MessageChannel();
  const parts: string[] = [];
  const done = new Promise<void>((resolve) => {
    port1.onmessage = (e: MessageEvent<SubscriberMessage>) => {
      if (e.data.kind !== 'first') return;
      parts.push(e.data.json);
      if (e.data.last) resolve();
    };
  });
  await api.subscribe(port2, have);
  await done;
  port1.close(); port2.close();
  const [head, ...rest] = parts.map((p) => JSON.parse(p) as unknown);
  const full = head as BoardPatch;
  for (const more of rest) full.upserts.push(...(more as BoardPatch['upserts']));
  return { full, parts: parts.length };
}

/** A room holding a board of three stories, its snapshot and its view cache, written by an earlier session. */
async function earlierSession(roomId: string): Promise<string[]> {
  const clock = new ManualClock();
  const idb = await IdbOpStore.open(roomId);
  const r = await Replica.open({
    roomId, store: idb, meta: idb, signer: new NobleSigner(new Uint8Array(32).fill(3)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(5), schedule: clock.schedule, replicaId: 'earlier',
  });
  await r.initBoard();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = r.newStoryId();
    await r.command({ type: 'create', input: { id, kind: 'story', title: `Story ${i}` } });
    ids.push(id);
  }
  await r.flushed();
  expect(await r.writeSnapshot()).toBe('written');
  r.close();
  await idb.close();
  return ids;
}

test('[REPL15] the cached board comes before the open; commands sent meanwhile run after it, in order', async () => {
  const ids = await earlierSession('room-api-1');
  const api = createWorkerApi();
  let opened = false;
  const opening = api.open({ roomId: 'room-api-1', create: false, name: '' }).then((info) => { opened = true; return info; });
  // Sent before the worker is open: they wait for it (a move, then an edit of the same story).
  const move = api.command({ type: 'move', storyId: ids[0]!, stage: 'qa' });
  const edit = api.command({ type: 'edit', storyId: ids[0]!, patch: { title: 'edited while opening' } });
  const cached = await api.cachedBoard();
  expect(opened).toBe(false);
  expect(cached.ok).toBe(true);
  const patch = JSON.parse(cached.ok ? cached.json : 'null') as BoardPatch;
  expect(patch.full).toBe(true);
  expect(patch.upserts.map((s) => s.id).sort()).toEqual([...ids].sort());
  expect(patch.upserts.find((s) => s.id === ids[0])).toMatchObject({ stage: 'backlog', title: 'Story 0' });
  // Handed out once: the worker keeps no copy.
  expect(await api.cachedBoard()).toEqual({ ok: false, reason: 'already handed out' });
  await opening;
  expect(await move).toMatchObject({ ok: true });
  expect(await edit).toMatchObject({ ok: true });
  const { full } = await firstBoard(api);
  expect(full.upserts.find((s) => s.id === ids[0])).toMatchObject({ stage: 'qa', title: 'edited while opening' });
});

test('[REPL15] without a cache the open says why, and the board comes from the worker', async () => {
  const api = createWorkerApi();
  const opening = api.open({ roomId: 'room-api-2', create: true, name: 'Ada' });
  expect(await api.cachedBoard()).toEqual({ ok: false, reason: 'none stored' });
  await opening;
  const { full } = await firstBoard(api);
  expect(full.meta?.initialised).toBe(true);
});

test('[REPL5] the first board comes in parts that make up the whole board, in order', async () => {
  const ids = await earlierSession('room-api-3');
  const whole = createWorkerApi();
  await whole.open({ roomId: 'room-api-3', create: false, name: 'Ada' });
  const one = await firstBoard(whole);
  expect(one.parts).toBe(1);
  const parted = createWorkerApi({ firstPart: 2 });
  await parted.open({ roomId: 'room-api-3', create: false, name: 'Ada' });
  const two = await firstBoard(parted);
  expect(two.parts).toBe(2);
  expect(two.full).toEqual(one.full);
  expect(two.full.upserts.map((s) => s.id).sort()).toEqual([...ids].sort());
});

test('[APP13] a worker started for a room loads it before open is called; open takes that load over', async () => {
  const ids = await earlierSession('room-api-4');
  const api = createWorkerApi({ preload: 'room-api-4' });
  // No open yet: the cached view is already read, so the load has started.
  const cached = await api.cachedBoard();
  expect(cached.ok).toBe(true);
  const info = await api.open({ roomId: 'room-api-4', create: false, name: 'Ada' });
  expect(info.loadedOps).toBeGreaterThan(0);
  const { full } = await firstBoard(api);
  expect(full.upserts.map((s) => s.id).sort()).toEqual([...ids].sort());
  expect(full.meta?.names[info.author]).toBe('Ada');
});

test('[APP13] a worker started for one room refuses to open another', async () => {
  const api = createWorkerApi({ preload: 'room-api-5' });
  await expect(api.open({ roomId: 'room-api-6', create: true, name: '' })).rejects.toThrow('this worker was started for another room');
  expect(await api.cachedBoard()).toMatchObject({ ok: false });
});

test('[REPL15] a page that shows the cached whole board gets only the changes since it', async () => {
  const ids = await earlierSession('room-api-7');
  const api = createWorkerApi();
  const opening = api.open({ roomId: 'room-api-7', create: false, name: '' });
  const cached = await api.cachedBoard();
  if (!cached.ok || cached.board === undefined) throw new Error('no whole board cached');
  const whole = JSON.parse(typeof cached.board === 'string' ? cached.board : await cached.board.text()) as BoardPatch;
  expect(whole.upserts.map((s) => s.id).sort()).toEqual([...ids].sort());
  await opening;
  const { full: first, parts } = await firstBoard(api, cached.upTo);
  expect(parts).toBe(1);
  expect(first).toMatchObject({ full: false, upserts: [], removed: [] });
  // Any other count: the full board.
  const again = createWorkerApi();
  const reopening = again.open({ roomId: 'room-api-7', create: false, name: '' });
  const other = await again.cachedBoard();
  await reopening;
  expect((await firstBoard(again, other.ok ? other.upTo + 1 : 0)).full.full).toBe(true);
});

test('[UI10] a batch with more transition events than the feed keeps sends the page only the last FEED_LIMIT, ahead of the patch that shows them', async () => {
  const api = createWorkerApi();
  await api.open({ roomId: 'room-api-events', create: true, name: 'Ada' });
  const { port1, port2 } = new MessageChannel();
  // The import below is one batch: its events come in one message.
  const kinds: string[] = [];
  const imported = new Promise<BoardEvent[]>((resolve) => {
    let events: BoardEvent[] | undefined;
    port1.onmessage = (e: MessageEvent<SubscriberMessage>) => {
      kinds.push(e.data.kind);
      if (e.data.kind === 'events' && e.data.value.some((x) => x.type === 'created')) events = e.data.value;
      if (e.data.kind === 'board' && events !== undefined) resolve(events);
    };
  });
  await api.subscribe(port2);
  // Another replica's board: its init and 300 story creations.
  const report = await api.importLog(generateBackup({ stories: 300, ops: 301 }));
  expect(report.applied).toBe(301);
  const events = await imported;
  port1.close(); port2.close();
  expect(events).toHaveLength(FEED_LIMIT);
  expect(kinds.filter((k) => k === 'events')).toHaveLength(1); // one message, right before the board patch
  expect(kinds[kinds.indexOf('events') + 1]).toBe('board');
  const created = events.filter((e) => e.type === 'created').map((e) => e.storyId);
  // The newest events: the last stories of the backup, not the first.
  const { full } = await firstBoard(api);
  expect(full.upserts).toHaveLength(300);
  expect(created).toContain(`S-${(299).toString(36).padStart(8, '0')}`); // make-backup's story ids
  expect(created).not.toContain(`S-${(0).toString(36).padStart(8, '0')}`);
});
