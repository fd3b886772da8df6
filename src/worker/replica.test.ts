// The replica: one path for edits, persistence that never drops an op,
// restart by replay, events for local and remote ops, backup round trip.
import { describe, expect, test } from 'vitest';
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { MemoryOpStore, createMemoryBacking } from '../storage/memory-op-store.js';
import { IdbOpStore } from '../storage/idb-op-store.js';
import type { OpStore, MetaStore } from '../storage/op-store.js';
import { FailingOpStore } from '../storage/failing-op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { Prng } from '../../tests/support/prng.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { InlineWireVerifier } from './wire-verifier.js';
import { decodeLogFile } from '../protocol/log-file.js';
import { generateBackup } from '../../tests/e2e/support/make-backup.js';
import { Replica } from './replica.js';
import { MAX_TIMER_MS } from './schedule.js';
import type { BoardEvent } from '../pipeline/index.js';

const seed = (n: number) => new Uint8Array(32).fill(n);

async function openReplica(store: OpStore & Partial<MetaStore>, clock: ManualClock, n = 1, meta?: MetaStore): Promise<Replica> {
  return Replica.open({
    roomId: 'room-1',
    store,
    meta: meta ?? (store as unknown as MetaStore),
    signer: new NobleSigner(seed(n)),
    verifier: new NobleVerifier(),
    now: clock.now,
    randomBytes: seededBytes(n),
    schedule: clock.schedule,
    replicaId: `r${n}`,
  });
}

/** A replica that yields to timers after `sliceMs` of serial work (REPL18). */
async function slicedReplica(sliceMs: number): Promise<Replica> {
  const clock = new ManualClock();
  const store = new MemoryOpStore();
  return Replica.open({
    roomId: 'room-1', store, meta: store, signer: new NobleSigner(seed(2)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(2), schedule: clock.schedule, replicaId: 'r2', sliceMs,
  });
}

async function boardWithStories(r: Replica, titles: string[]): Promise<string[]> {
  await r.initBoard();
  const ids: string[] = [];
  for (const title of titles) {
    const id = r.newStoryId();
    await r.command({ type: 'create', input: { id, kind: 'story', title, criteria: ['works'] } });
    ids.push(id);
  }
  return ids;
}

describe('replica', () => {
  test('[REPL1] a replica restarted from its store has byte-identical state', async () => {
    const clock = new ManualClock();
    const factory = new IDBFactory();
    const store = await IdbOpStore.open('room-1', { indexedDB: factory });
    const a = await openReplica(store, clock);
    const [s1, s2] = await boardWithStories(a, ['one', 'two', 'three']);
    await a.command({ type: 'move', storyId: s1!, stage: 'current' });
    await a.command({ type: 'edit', storyId: s2!, patch: { title: 'two, renamed' } });
    await a.command({ type: 'purge', storyId: s2! });
    await a.flushed();
    const before = a.doc.stateHash();
    a.close();
    await store.close();
    const store2 = await IdbOpStore.open('room-1', { indexedDB: factory });
    const b = await openReplica(store2, clock);
    expect(b.doc.stateHash()).toBe(before);
    expect(b.view().stories.map((s) => s.title)).toEqual(a.view().stories.map((s) => s.title));
    expect(b.view().purgedIds).toEqual([s2]);
    await store2.close();
  });

  test('[REPL4] a failing store never loses an op: shown, retried with backoff, every op on disk once', async () => {
    const clock = new ManualClock();
    const inner = new MemoryOpStore();
    const store = new FailingOpStore(inner);
    const r = await openReplica(Object.assign(store, { get: inner.get.bind(inner), set: inner.set.bind(inner) }), clock);
    const errors: string[] = [];
    r.onStatus((s) => { if (s.persist.error) errors.push(s.persist.error.kind); });
    store.failNextAppends(3, 'quota');
    await boardWithStories(r, ['a', 'b']);
    expect(r.status().persist.error?.kind).toBe('quota');
    expect(r.dump().pendingPersist).toBeGreaterThan(0);
    expect(r.view().stories).toHaveLength(2); // still applied in memory
    // Each failed write schedules a retry; advance the clock after each status change.
    while (r.status().persist.pending > 0) {
      const changed = new Promise<void>((resolve) => { const off = r.onStatus(() => { off(); resolve(); }); });
      clock.advance(60_000);
      await changed;
    }
    await r.flushed();
    expect(store.failures).toBe(3);
    expect(errors).toContain('quota');
    expect(r.status().persist.error).toBeNull();
    expect(r.status().persist.pending).toBe(0);
    const stored = await inner.loadAll();
    expect(stored.map((s) => s.id)).toEqual(r.doc.ops().map((o) => o.id));
    expect(new Set(stored.map((s) => s.id)).size).toBe(stored.length);
  });

  test('[REPL5] events are emitted for local and remote ops alike', async () => {
    const clock = new ManualClock();
    const a = await openReplica(new MemoryOpStore(), clock, 1);
    const b = await openReplica(new MemoryOpStore(), clock, 2);
    const eventsA: BoardEvent[] = [];
    const eventsB: BoardEvent[] = [];
    a.onEvents((e) => eventsA.push(...e));
    b.onEvents((e) => eventsB.push(...e));
    a.onApplied((ops, origin) => { if (origin === 'local') void b.receive(ops.map((o) => o.bytes), 'a'); });
    const [s1] = await boardWithStories(a, ['shared']);
    await a.command({ type: 'move', storyId: s1!, stage: 'qa' });
    await b.receive([], 'a'); // wait for b's serial queue
    await new Promise<void>((resolve) => { void b.flushed().then(resolve); });
    const kinds = (es: BoardEvent[]) => es.map((e) => e.type);
    expect(kinds(eventsA)).toEqual(['created', 'stage-changed']);
    expect(kinds(eventsB)).toEqual(kinds(eventsA));
    expect(eventsB[1]).toMatchObject({ type: 'stage-changed', from: 'backlog', to: 'qa', storyId: s1, author: a.author });
  });

  test('[UI17] every board patch counts the page\'s commands: the patch showing a command\'s op counts it, and refused or no-op commands count too', async () => {
    const clock = new ManualClock();
    const r = await openReplica(new MemoryOpStore(), clock, 1);
    const [s1] = await boardWithStories(r, ['counted']);
    expect(r.fullPatch().commands).toBe(0);
    const seen: { commands: number; stage?: string }[] = [];
    r.onBoard((p) => seen.push({ commands: p.commands, stage: p.upserts.find((u) => u.id === s1)?.stage }));
    await r.command({ type: 'move', storyId: s1!, stage: 'qa' }, true);
    expect(seen.at(-1)).toEqual({ commands: 1, stage: 'qa' });
    await expect(r.command({ type: 'move', storyId: 'S-missing', stage: 'qa' }, true)).rejects.toThrow();
    expect(await r.command({ type: 'move', storyId: s1!, stage: 'qa' }, true)).toBeNull();
    // Commands not from the page (automations, the board's own init) are not counted.
    await r.command({ type: 'move', storyId: s1!, stage: 'done' });
    expect(seen.at(-1)).toEqual({ commands: 3, stage: 'done' });
    expect(r.fullPatch().commands).toBe(3);
  });

  test('[REPL7] export then import into a fresh replica shows the same board; damage is reported', async () => {
    const clock = new ManualClock();
    const a = await openReplica(new MemoryOpStore(), clock, 1);
    await boardWithStories(a, ['x', 'y']);
    const file = await a.exportLog();
    const b = await openReplica(new MemoryOpStore(), clock, 2);
    const report = await b.importLog(file);
    expect(report).toMatchObject({ total: a.doc.ops().length, applied: a.doc.ops().length, rejected: [] });
    expect(b.doc.stateHash()).toBe(a.doc.stateHash());
    const damaged = file.slice();
    damaged[damaged.length - 5] ^= 0xff; // breaks the last op's signature
    const c = await openReplica(new MemoryOpStore(), clock, 3);
    const r2 = await c.importLog(damaged);
    expect(r2.rejected).toHaveLength(1);
    expect(r2.rejected[0]!.reason).toMatch(/signature/);
    expect(c.view().stories).toHaveLength(1);
    const notAFile = await c.importLog(new TextEncoder().encode('hello'));
    expect(notAFile.fileError).toMatch(/not a huskies backup/);
  });

  test('[REPL6] a purge survives restart and a stale peer cannot bring the story back', async () => {
    const clock = new ManualClock();
    const backing = createMemoryBacking();
    const a = await openReplica(new MemoryOpStore(backing), clock, 1);
    const stale = await openReplica(new MemoryOpStore(), clock, 2);
    const [s1] = await boardWithStories(a, ['doomed']);
    await stale.receive(a.doc.ops().map((o) => o.bytes), 'a');
    await stale.command({ type: 'edit', storyId: s1!, patch: { title: 'still here?' } });
    await a.command({ type: 'purge', storyId: s1! });
    await a.flushed();
    a.close();
    const a2 = await openReplica(new MemoryOpStore(backing), clock, 1);
    await a2.receive(stale.doc.ops().map((o) => o.bytes), 'stale');
    expect(a2.view().stories).toHaveLength(0);
    expect(a2.view().purgedIds).toEqual([s1]);
  });

  test('[REPL9] the dump carries the core metadata plus persistence, identity and peers', async () => {
    const clock = new ManualClock();
    const r = await openReplica(new MemoryOpStore(), clock, 1);
    await boardWithStories(r, ['d']);
    await r.command({ type: 'set-name', name: 'Ada' });
    await r.flushed();
    const dump = JSON.parse(JSON.stringify(r.dump()));
    expect(dump).toMatchObject({ totalOps: 3, persisted: 3, pendingPersist: 0, identity: { author: r.author, name: 'Ada' }, roomId: 'room-1', peers: [] });
    expect(typeof dump.maxLamport).toBe('number');
    expect(dump.buffered.count).toBe(0);
  });

  test('[REPL10] history says who changed what', async () => {
    const clock = new ManualClock();
    const r = await openReplica(new MemoryOpStore(), clock, 1);
    await r.command({ type: 'init' });
    await r.command({ type: 'set-name', name: 'Ada' });
    const id = r.newStoryId();
    await r.command({ type: 'create', input: { id, kind: 'bug', title: 'first' } });
    clock.advance(1000);
    await r.command({ type: 'move', storyId: id, stage: 'current' });
    const h = await r.history(id);
    expect(h[0]!.changes.map((c) => c.field)).toContain('created');
    expect(h[h.length - 1]).toMatchObject({ name: 'Ada', at: clock.now() });
    expect(h[h.length - 1]!.changes).toContainEqual({ field: 'stage', value: 'current' });
  });

  test('[REPL11][PIPE22][PIPE23] the replica runs the automatic rules on its injected clock', async () => {
    const clock = new ManualClock();
    const r = await openReplica(new MemoryOpStore(), clock, 1);
    const [done, flaky] = await boardWithStories(r, ['finished', 'flaky']);
    await r.command({ type: 'move', storyId: done!, stage: 'done' });
    for (let i = 0; i < 4; i++) await r.command({ type: 'retry', storyId: flaky! });
    // Retry limit passed: blocked as soon as the scheduled check runs.
    const blocked = new Promise<void>((resolve) => { const off = r.onEvents((es) => { if (es.some((e) => e.type === 'blocked')) { off(); resolve(); } }); });
    clock.advance(0);
    await blocked;
    expect(r.story(flaky!)?.blocked).toBe(true);
    expect(r.story(done!)?.stage).toBe('done');
    // Four hours later the done story is archived as completed.
    const archived = new Promise<void>((resolve) => { const off = r.onEvents((es) => { if (es.some((e) => e.type === 'archived')) { off(); resolve(); } }); });
    clock.advance(4 * 60 * 60 * 1000);
    await archived;
    expect(r.story(done!)).toMatchObject({ stage: 'archived', archiveReason: 'completed' });
  });

  test('[REPL11] an archive time beyond the timer range arms the longest timer, not a busy loop', async () => {
    const clock = new ManualClock();
    const delays: number[] = [];
    const schedule = (fn: () => void, ms: number) => { delays.push(ms); return clock.schedule(fn, ms); };
    const r = await Replica.open({
      roomId: 'room-1', store: new MemoryOpStore(), meta: new MemoryOpStore(), signer: new NobleSigner(seed(1)),
      verifier: new NobleVerifier(), now: clock.now, randomBytes: seededBytes(1), schedule, replicaId: 'r1',
    });
    const [done] = await boardWithStories(r, ['finished']);
    await r.command({ type: 'set-setting', key: 'archiveAfterMs', value: 100 * 365 * 24 * 3600 * 1000 });
    await r.command({ type: 'move', storyId: done!, stage: 'done' });
    clock.advance(0);
    expect(Math.max(...delays)).toBe(MAX_TIMER_MS);
    // The timer fires early, finds nothing due and re-arms once: no loop.
    const before = delays.length;
    clock.advance(MAX_TIMER_MS);
    expect(delays.length - before).toBeLessThanOrEqual(2);
    expect(r.story(done!)?.stage).toBe('done');
  });

  test('[REPL14][REPL3][CORE8b] remote batches through a wire verifier get the same outcomes and state as in-thread verification', async () => {
    const clock = new ManualClock();
    const source = await openReplica(new MemoryOpStore(), clock, 1);
    const titles = Array.from({ length: 16 }, (_, i) => `story ${i}`);
    await boardWithStories(source, titles);
    const ops = source.doc.ops().map((o) => o.bytes); // ≥ 16 frames: the wire verifier's path
    const badCopy = ops[1]!.slice(); badCopy[badCopy.length - 1]! ^= 1;
    const frames = [ops[0]!, badCopy, ...ops.slice(1), new Uint8Array([1, 2, 3])];
    const plain = await openReplica(new MemoryOpStore(), clock, 2);
    const inner = new InlineWireVerifier(crypto.subtle);
    let checks = 0;
    const wireVerifier = { name: inner.name, close() {}, check(f: readonly Uint8Array[], ids?: Uint8Array) { checks++; return inner.check(f, ids); } };
    const piped = await Replica.open({
      roomId: 'room-1', store: new MemoryOpStore(), meta: new MemoryOpStore(), signer: new NobleSigner(seed(3)),
      verifier: new NobleVerifier(), wireVerifier,
      now: clock.now, randomBytes: seededBytes(3), schedule: clock.schedule, replicaId: 'r3',
    });
    const a = await plain.ingest(frames, 'peer');
    const b = await piped.ingest(frames, 'peer');
    // A live op (fewer than 16) is verified in the replica's thread: no hop.
    await piped.ingest([ops[0]!], 'peer');
    expect(checks).toBe(1);
    expect(b.outcomes).toEqual(a.outcomes);
    expect(b.outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('bad signature') });
    expect(b.outcomes[2]).toMatchObject({ status: 'applied' });
    expect(piped.doc.stateHash()).toBe(source.doc.stateHash());
    expect(piped.view().stories.map((s) => s.title).sort()).toEqual([...titles].sort());
  });

  test('[REPL16][CORE8b] copies of ops held, or byte-identical to one being checked, are not verified again; a bad copy never shadows a good one', async () => {
    const clock = new ManualClock();
    const source = await openReplica(new MemoryOpStore(), clock, 1);
    await boardWithStories(source, Array.from({ length: 20 }, (_, i) => `story ${i}`));
    const ops = source.doc.ops().map((o) => o.bytes);
    const inner = new InlineWireVerifier(crypto.subtle);
    const verified: number[] = [];
    const wireVerifier = { name: inner.name, close() {}, check(f: readonly Uint8Array[], ids?: Uint8Array) { verified.push(f.length); return inner.check(f, ids); } };
    const joiner = await Replica.open({
      roomId: 'room-1', store: new MemoryOpStore(), meta: new MemoryOpStore(), signer: new NobleSigner(seed(3)),
      verifier: new NobleVerifier(), wireVerifier,
      now: clock.now, randomBytes: seededBytes(3), schedule: clock.schedule, replicaId: 'r3',
    });
    // Two peers stream the same catch-up at once; the first peer's copy of op 5 is bad.
    const badCopy = ops[5]!.slice(); badCopy[badCopy.length - 1]! ^= 1;
    const fromA = [...ops.slice(0, 5), badCopy, ...ops.slice(6)];
    const [a, b] = await Promise.all([joiner.ingest(fromA, 'peer-a'), joiner.ingest(ops, 'peer-b')]);
    // A's batch: all verified; B's: only op 5 (its signature differs from A's bad copy); the rest shared A's verdicts and were duplicates.
    expect(verified).toEqual([ops.length, 1]);
    expect(a.outcomes[5]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('bad signature') });
    expect(a.outcomes.slice(0, 5).every((o) => o.status === 'applied')).toBe(true);
    expect(a.outcomes.slice(6).every((o) => o.status === 'buffered')).toBe(true); // their author's op 5 is missing
    expect(b.outcomes[5]).toMatchObject({ status: 'applied' });
    expect(b.outcomes.filter((o, i) => i !== 5 && o.status !== 'duplicate')).toEqual([]);
    expect(joiner.doc.stateHash()).toBe(source.doc.stateHash());
    // A third copy of everything, now held: nothing reaches the verifier.
    const c = await joiner.ingest(ops, 'peer-c');
    expect(verified).toEqual([ops.length, 1]);
    expect(c.outcomes.every((o) => o.status === 'duplicate')).toBe(true);
  });

  test.each([1, 2, 3, 4, 5])('[REPL16][CORE8b][SYNC14] seed %i: overlapping catch-ups from three peers, one forging copies, converge; each distinct copy is verified at most once', async (seedN) => {
    const rng = new Prng(seedN);
    const clock = new ManualClock();
    const source = await openReplica(new MemoryOpStore(), clock, 1);
    await boardWithStories(source, Array.from({ length: 40 }, (_, i) => `story ${i}`));
    const ops = source.doc.ops().map((o) => o.bytes);
    const inner = new InlineWireVerifier(crypto.subtle);
    let verified = 0;
    const wireVerifier = { name: inner.name, close() {}, check(f: readonly Uint8Array[], ids?: Uint8Array) { verified += f.length; return inner.check(f, ids); } };
    const joiner = await Replica.open({
      roomId: 'room-1', store: new MemoryOpStore(), meta: new MemoryOpStore(), signer: new NobleSigner(seed(3)),
      verifier: new NobleVerifier(), wireVerifier,
      now: clock.now, randomBytes: seededBytes(3), schedule: clock.schedule, replicaId: 'r3',
    });
    // Each peer streams the whole log in batches of 16–40 (the wire path); the third flips a signature bit in a third of its copies.
    const streams = [0, 1, 2].map((peer) => {
      const batches: Uint8Array[][] = [];
      for (let at = 0; at < ops.length;) {
        const n = rng.range(16, 40);
        batches.push(ops.slice(at, at + n).map((b) => {
          if (peer !== 2 || !rng.chance(1 / 3)) return b;
          const bad = b.slice(); bad[bad.length - 1 - rng.int(64)]! ^= 1 << rng.int(8); return bad;
        }));
        at += n;
      }
      return batches;
    });
    const forged = streams[2]!.flat().filter((b, i) => b !== ops[i]).length;
    // Interleaved as the three sessions' messages would arrive, all in flight at once.
    const calls: Promise<unknown>[] = [];
    const next = [0, 0, 0];
    while (next.some((k, p) => k < streams[p]!.length)) {
      const p = rng.pick([0, 1, 2].filter((q) => next[q]! < streams[q]!.length));
      calls.push(joiner.ingest(streams[p]![next[p]!++]!, `peer-${p}`));
    }
    await Promise.all(calls);
    expect(joiner.doc.stateHash()).toBe(source.doc.stateHash());
    expect(joiner.doc.opCount).toBe(ops.length);
    // Three copies of every op arrived; each good op is verified at most once, and each forged copy at most once.
    expect(verified).toBeGreaterThanOrEqual(ops.length);
    expect(verified).toBeLessThanOrEqual(ops.length + forged);
  });

  test('[REPL5] patches go out at once after a quiet spell, every 16 ms in live bursts, and less often (≤ 128 ms) in a bulk catch-up', async () => {
    const clock = new ManualClock();
    const frames = decodeLogFile(generateBackup({ stories: 600, ops: 800 })) as { ops: Uint8Array[] };
    const b = await Replica.open({
      roomId: 'room-1', store: new MemoryOpStore(), meta: new MemoryOpStore(), signer: new NobleSigner(seed(3)),
      verifier: new NobleVerifier(), wireVerifier: new InlineWireVerifier(crypto.subtle),
      now: clock.now, randomBytes: seededBytes(3), schedule: clock.schedule, replicaId: 'r3',
    });
    let patches = 0;
    b.onBoard(() => { patches++; });
    await b.ingest(frames.ops.slice(0, 300), 'peer'); // bulk: flushed at once (quiet before)
    expect(patches).toBe(1);
    await b.ingest(frames.ops.slice(300, 600), 'peer'); // still bulk: the interval doubled to 32 ms
    clock.advance(16);
    expect(patches).toBe(1);
    clock.advance(16);
    expect(patches).toBe(2);
    clock.advance(1000);
    await b.ingest(frames.ops.slice(600, 601), 'peer'); // a live op after a quiet spell: at once
    expect(patches).toBe(3);
    clock.advance(5);
    await b.ingest(frames.ops.slice(601, 602), 'peer'); // live burst: within 16 ms of the last patch
    expect(patches).toBe(3);
    clock.advance(11);
    expect(patches).toBe(4);
  });
});

test('[REPL18] a burst of received batches lets a timer task run between them, and applies them all in order', async () => {
  const clock = new ManualClock();
  const author = await openReplica(new MemoryOpStore(), clock);
  await boardWithStories(author, Array.from({ length: 12 }, (_, i) => `story ${i}`));
  const frames = author.doc.log().map((o) => o.bytes);
  /** Ops the receiver holds when a timer set before the burst fires. */
  const atTimer = async (r: Replica): Promise<number> => {
    const seen = new Promise<number>((resolve) => setTimeout(() => resolve(r.doc.opCount), 0));
    const done = Promise.all(frames.map((f) => r.ingest([f], 'author')));
    const n = await seen;
    await done;
    expect(r.doc.stateHash()).toBe(author.doc.stateHash());
    return n;
  };
  // Verified in this thread (no verifier worker): the whole burst is one chain of microtasks…
  expect(await atTimer(await slicedReplica(60_000))).toBe(frames.length);
  // …unless the queue yields: with a slice of 0 ms, the timer runs after the first batch.
  expect(await atTimer(await slicedReplica(0))).toBeLessThan(frames.length);
});
