// The replica's derived snapshot (REPL12, REPL13): an open from snapshot +
// tail is the same replica as an open by full replay — board, dump, history,
// export, sync answers, later commands — a bad snapshot falls back to replay
// with its reason, and snapshots are written only for durably written ops
// whose log order is this replica's apply order.
import { describe, expect, test } from 'vitest';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { MemoryOpStore, createMemoryBacking, type MemoryBacking } from '../storage/memory-op-store.js';
import { IdbOpStore } from '../storage/idb-op-store.js';
import { FailingOpStore } from '../storage/failing-op-store.js';
import type { MetaStore, OpStore } from '../storage/op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { HISTORY_CHUNK, HISTORY_DELAY_MS, HISTORY_EVERY_MS, Replica } from './replica.js';
import { historyOf } from './history.js';
import { SNAPSHOT_KEY, type StoredSnapshot } from './snapshot-keeper.js';
import { encodeSnapshot, restoreSnapshot } from '../core/index.js';

const seed = (n: number) => new Uint8Array(32).fill(n);

function openReplica(store: OpStore, meta: MetaStore, clock: ManualClock, n = 1): Promise<Replica> {
  return Replica.open({
    roomId: 'room-1', store, meta, signer: new NobleSigner(seed(n)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(n * 7 + clock.now() % 1000), schedule: clock.schedule, replicaId: `r${n}`,
  });
}

/** The memory adapter with range reads held until the test opens the gate (to observe the background load). */
class GatedStore extends MemoryOpStore {
  open!: () => void;
  private readonly gate = new Promise<void>((resolve) => { this.open = resolve; });
  override async loadFrom(start: number, limit?: number) {
    await this.gate;
    return super.loadFrom(start, limit);
  }
}

const memory = (backing: MemoryBacking) => { const s = new MemoryOpStore(backing); return { store: s, meta: s }; };

/** A board with stories, moves, edits, criteria and a purge, by two authors. */
async function busyBoard(a: Replica, b: Replica, stories = 12): Promise<string[]> {
  await a.initBoard();
  await b.receive(a.doc.ops().map((o) => o.bytes), 'a');
  const ids: string[] = [];
  for (let i = 0; i < stories; i++) {
    const r = i % 3 === 0 ? b : a;
    const id = r.newStoryId();
    await r.command({ type: 'create', input: { id, kind: i % 2 ? 'bug' : 'story', title: `Story ${i} ✓`, criteria: ['works', 'tested'] } });
    ids.push(id);
  }
  await a.receive(b.doc.ops().filter((o) => !a.doc.has(o.id)).map((o) => o.bytes), 'b');
  for (let i = 0; i < stories; i += 2) await a.command({ type: 'move', storyId: ids[i]!, stage: 'current' });
  await a.command({ type: 'edit', storyId: ids[1]!, patch: { title: 'renamed', description: '**bold**' } });
  await a.command({ type: 'purge', storyId: ids[3]! });
  await a.command({ type: 'set-name', name: 'Ada' });
  return ids;
}

/** Everything a user or a peer can observe of a replica, minus what legitimately differs between sessions. */
async function observable(r: Replica, ids: readonly string[]) {
  await r.logReady();
  // Timings (ingest phases) differ by run; everything else must be equal.
  const { generatedAt: _g, snapshot: _s, persisted: _p, ingest: _i, ...dump } = r.dump();
  const history = await Promise.all(ids.map((id) => r.history(id)));
  // REPL10: the story index picks exactly the ops a scan of the whole decoded log finds.
  const names = r.view().names;
  ids.forEach((id, i) => { const s = r.story(id); if (s) expect(history[i]).toEqual(historyOf(r.doc, s.elem, names)); });
  return {
    hash: r.doc.stateHash(), dump, view: r.view(), history,
    export: await r.exportLog(),
    opsFor: r.opsFor({}), opsForSome: r.opsFor(r.versionVector()), heads: r.heads(), vv: r.versionVector(),
    getOps: r.getOps([...r.doc.appliedMeta()].filter((_, i) => i % 7 === 0).map((m) => m.id)),
  };
}

async function stored(meta: MetaStore): Promise<StoredSnapshot | null | undefined> {
  return (await meta.get(SNAPSHOT_KEY)) as StoredSnapshot | null | undefined;
}

/** A busy board of six stories on replica `a` (closed after), its log in `backing`, and the snapshot it wrote. */
async function snapshotted() {
  const clock = new ManualClock();
  const backing = createMemoryBacking();
  const { store, meta } = memory(backing);
  const a = await openReplica(store, meta, clock, 1);
  const b = await openReplica(new MemoryOpStore(), new MemoryOpStore(), clock, 2);
  const ids = await busyBoard(a, b, 6);
  await a.flushed();
  expect(await a.writeSnapshot()).toBe('written');
  a.close();
  return { clock, backing, meta, ids, a, good: (await stored(meta))! };
}

describe('replica snapshots', () => {
  test('[REPL12][REPL13] an open from snapshot + tail is the same replica as a full replay', async () => {
    const clock = new ManualClock();
    const backing = createMemoryBacking();
    const { store, meta } = memory(backing);
    const a = await openReplica(store, meta, clock, 1);
    const b = await openReplica(new MemoryOpStore(), new MemoryOpStore(), clock, 2);
    const ids = await busyBoard(a, b);
    await a.flushed();
    // First open without a snapshot writes one once it is quiet.
    expect(await a.writeSnapshot()).toBe('written');
    const snap = await stored(meta);
    expect(snap?.upTo).toBe(a.doc.opCount);
    // More ops after the snapshot: they become the tail.
    await a.command({ type: 'move', storyId: ids[0]!, stage: 'qa' });
    await a.command({ type: 'edit', storyId: ids[5]!, patch: { title: 'after the snapshot' } });
    await a.flushed();
    const expected = await observable(a, ids);
    a.close();

    const gated = new GatedStore(backing);
    const fromSnap = await openReplica(gated, new MemoryOpStore(backing), clock, 1);
    expect(fromSnap.dump().snapshot).toMatchObject({ openedFrom: 'snapshot', ignored: null, restoredOps: snap!.upTo, replayedOps: 2 });
    // The board's stories came from the snapshot (REPL12), the tail's ops folded in as live ones.
    expect(Object.keys(fromSnap.dump().snapshot.openMs)).toContain('boardIndexCached');
    expect(fromSnap.doc.detachedOps).toBe(snap!.upTo);
    expect(fromSnap.status().totalOps).toBe(a.doc.opCount);
    // Interactive before the prefix is loaded: a command works at once.
    await fromSnap.command({ type: 'move', storyId: ids[2]!, stage: 'merge' });
    expect(fromSnap.dump().snapshot.prefixPending).toBe(snap!.upTo);
    expect(() => fromSnap.opsFor({})).toThrow(/loading/);
    gated.open();
    await fromSnap.logReady();
    expect(fromSnap.dump().snapshot.prefixPending).toBe(0);
    // REPL10: the history index of the restored prefix and the replayed tail is built in the background, in chunks.
    expect(fromSnap.dump().snapshot.historyPending).toBe(snap!.upTo + 2);
    clock.advance(HISTORY_DELAY_MS);
    expect(fromSnap.dump().snapshot.historyPending).toBe(Math.max(0, snap!.upTo + 2 - HISTORY_CHUNK));
    clock.advance(HISTORY_EVERY_MS * Math.ceil((snap!.upTo + 2) / HISTORY_CHUNK));
    expect(fromSnap.dump().snapshot.historyPending).toBe(0);
    await fromSnap.flushed();

    const replayed = await openReplica(new MemoryOpStore(backing), { get: async () => undefined, set: async () => undefined }, clock, 1);
    expect(replayed.dump().snapshot).toMatchObject({ openedFrom: 'log', ignored: 'none stored' });
    expect(await observable(fromSnap, ids)).toEqual(await observable(replayed, ids));
    // Before the move, the restored replica was the one that was closed.
    expect(expected.export).toEqual(await (async () => {
      const again = await openReplica(new MemoryOpStore(backing), new MemoryOpStore(backing), clock, 1);
      const all = await again.exportLog();
      return all.slice(0, expected.export.length);
    })());
  });

  test('[REPL12] bad snapshots fall back to a full replay and say why; nothing is lost', async () => {
    const { clock, backing, meta, ids, good, a } = await snapshotted();
    const hash = a.doc.stateHash();
    // Stored as a Blob (REPL12); a record holding the bytes themselves opens too.
    expect(good.bytes).toBeInstanceOf(Blob);
    const bytes = new Uint8Array(await (good.bytes as Blob).arrayBuffer());
    await meta.set(SNAPSHOT_KEY, { ...good, bytes });
    const plain = await openReplica(new MemoryOpStore(backing), new MemoryOpStore(backing), clock, 1);
    expect(plain.dump().snapshot).toMatchObject({ openedFrom: 'snapshot', ignored: null });
    expect(plain.doc.stateHash()).toBe(hash);
    plain.close();
    const damaged = bytes.slice(); damaged[damaged.length >> 1] ^= 1;
    const foreign = bytes.slice(); foreign[8] = 99;
    const cases: [unknown, RegExp][] = [
      [{ ...good, bytes: damaged }, /checksum/],
      [{ ...good, bytes: bytes.slice(0, 100) }, /checksum|truncated/],
      [{ ...good, bytes: new Blob([damaged]) }, /checksum/],
      [{ ...good, bytes: foreign }, /version/],
      [{ ...good, lastId: 'f'.repeat(64) }, /does not match the log/],
      [{ ...good, upTo: good.upTo + 1 }, /claims/],
      ['garbage', /wrong shape/],
      [{ upTo: -1, bytes: 1 }, /wrong shape/],
    ];
    for (const [value, reason] of cases) {
      await meta.set(SNAPSHOT_KEY, value);
      const r = await openReplica(new MemoryOpStore(backing), new MemoryOpStore(backing), clock, 1);
      expect(r.dump().snapshot.openedFrom).toBe('log');
      expect(r.dump().snapshot.ignored).toMatch(reason);
      expect(r.doc.stateHash()).toBe(hash);
      expect(r.doc.opCount).toBe(backing.ops.length);
      expect(r.view().stories.map((s) => s.id).sort()).toEqual(ids.filter((_, i) => i !== 3).sort());
      r.close();
    }
    // A snapshot of a longer log (the log was replaced by a shorter one) is refused too.
    const other = createMemoryBacking();
    other.meta.set(SNAPSHOT_KEY, good);
    const empty = await openReplica(new MemoryOpStore(other), new MemoryOpStore(other), clock, 1);
    expect(empty.dump().snapshot.ignored).toMatch(/shorter/);
    expect(empty.doc.opCount).toBe(0);
  });

  test('[REPL12] a snapshot covers only durably written ops, and is written when quiet', async () => {
    const clock = new ManualClock();
    const backing = createMemoryBacking();
    const failing = new FailingOpStore(new MemoryOpStore(backing));
    const meta = new MemoryOpStore(backing);
    const a = await openReplica(failing, meta, clock, 1);
    await a.initBoard();
    await a.flushed();
    failing.failWhile = 'quota';
    const id = a.newStoryId();
    await a.command({ type: 'create', input: { id, kind: 'story', title: 'not yet written' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(a.status().persist.pending).toBe(1);
    expect(await a.writeSnapshot()).toBe('not yet');
    expect(await stored(meta)).toBeUndefined();
    failing.failWhile = undefined;
    a.retryPersist();
    await a.flushed();
    // The idle timer writes it (the open found none, so it is due at once).
    clock.advance(2_000);
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect((await stored(meta))?.upTo).toBe(2);
    // Later: a handful of ops is not worth a new snapshot; many are.
    await a.command({ type: 'edit', storyId: id, patch: { title: 'one more' } });
    await a.flushed();
    expect(await a.writeSnapshot()).toBe('not needed');
    a.close();
  });

  test('[REPL12] two tabs writing one log: a tab whose order differs from the log writes no snapshot; every open is right', async () => {
    const clock = new ManualClock();
    const factory = new IDBFactory();
    const storeA = await IdbOpStore.open('room-1', { indexedDB: factory });
    const storeB = await IdbOpStore.open('room-1', { indexedDB: factory });
    const a = await openReplica(storeA, storeA, clock, 1);
    const b = await openReplica(storeB, storeB, clock, 2);
    await a.initBoard();
    await a.flushed();
    await b.receive(a.doc.ops().map((o) => o.bytes), 'a');
    // Concurrent edits: each tab applies its own op first, then the other's.
    const ida = a.newStoryId();
    const idb = b.newStoryId();
    await a.command({ type: 'create', input: { id: ida, kind: 'story', title: 'from a' } });
    await b.command({ type: 'create', input: { id: idb, kind: 'story', title: 'from b' } });
    await a.flushed();
    await b.flushed();
    await a.receive(b.doc.ops().filter((o) => !a.doc.has(o.id)).map((o) => o.bytes), 'b');
    await b.receive(a.doc.ops().filter((o) => !b.doc.has(o.id)).map((o) => o.bytes), 'a');
    await a.flushed();
    await b.flushed();
    // The log holds a's op before b's: a's order matches, b's does not.
    expect(await b.writeSnapshot()).toBe('blocked');
    expect(b.dump().snapshot.writeBlocked).toMatch(/another tab/);
    expect(await a.writeSnapshot()).toBe('written');
    const hash = a.doc.stateHash();
    expect(b.doc.stateHash()).toBe(hash);
    a.close(); b.close();
    await storeA.close(); await storeB.close();
    const store = await IdbOpStore.open('room-1', { indexedDB: factory });
    const c = await openReplica(store, store, clock, 1);
    expect(c.dump().snapshot.openedFrom).toBe('snapshot');
    expect(c.doc.stateHash()).toBe(hash);
    await c.logReady();
    expect([...c.doc.appliedMeta()].map((m) => m.id)).toEqual((await store.loadAll()).map((o) => o.id));
    expect(c.opsFor({})).toEqual((await store.loadAll()).map((o) => o.bytes));
    c.close();
    await store.close();
  });

  test('[REPL12] a board kept with the snapshot that is damaged is not used; the stories are read from the state', async () => {
    const { clock, backing, meta, ids, good, a } = await snapshotted();
    const view = a.view();
    const restored = restoreSnapshot(new Uint8Array(await (good.bytes as Blob).arrayBuffer()));
    if (!restored.ok) throw new Error(restored.reason);
    const cache = restored.derived as { format: number; upTo: number; raws: unknown[] };
    expect(cache.raws.length).toBeGreaterThanOrEqual(ids.length);
    for (const raws of [[{ elem: 5 }], [...cache.raws.slice(1), { ...(cache.raws[0] as object), fields: { id: 'S-1' } }], 'not a list']) {
      await meta.set(SNAPSHOT_KEY, { ...good, bytes: encodeSnapshot(restored.doc, { ...cache, raws }) });
      const r = await openReplica(new MemoryOpStore(backing), new MemoryOpStore(backing), clock, 1);
      expect(r.dump().snapshot).toMatchObject({ openedFrom: 'snapshot', ignored: null });
      expect(Object.keys(r.dump().snapshot.openMs)).toContain('boardIndex');
      expect(r.view()).toEqual(view);
      r.close();
    }
  });
});
