// Seals through whole replicas (CORE18, REPL17, SYNC18): an author seals its
// ops, a catch-up carries each seal before its ops, a joiner verifies one
// signature per seal instead of one per op, keeps the seals and passes them
// on; a forged seal, or one by another key, covers nothing.
import { describe, expect, test } from 'vitest';
import { MAX_SEAL_IDS, SEAL_TAG, decodeSeal, isSealFrame, keyPairFromSeed, sealWith, toHex } from '../core/index.js';
import { decodeLogFile } from '../protocol/log-file.js';
import { MemoryOpStore, createMemoryBacking, type MemoryBacking } from '../storage/memory-op-store.js';
import { ManualClock, seededBytes } from '../../tests/support/manual-clock.js';
import { Prng } from '../../tests/support/prng.js';
import { KEYS } from '../../tests/support/core-fixtures.js';
import { NobleSigner } from './signer.js';
import { NobleVerifier } from './verifier.js';
import { InlineWireVerifier } from './wire-verifier.js';
import { Replica } from './replica.js';
import { MAX_WAITING_SEALS, MIN_TAIL_SEAL } from './seal-keeper.js';
import { createMemoryPair, type MemoryTransport } from '../sync/memory-transport.js';
import { SyncSession } from '../sync/sync-session.js';

const seed = (n: number) => new Uint8Array(32).fill(n);

/** A replica whose wire verifier (REPL14) and in-thread verifier count the signatures they check. */
async function counted(n: number, clock: ManualClock, backing: MemoryBacking = createMemoryBacking()) {
  const inner = new InlineWireVerifier(crypto.subtle);
  const checks = { wire: 0, inThread: 0 };
  const noble = new NobleVerifier();
  const store = new MemoryOpStore(backing);
  const replica = await Replica.open({
    roomId: 'room-1', store, meta: store, sealStore: store, signer: new NobleSigner(seed(n)),
    verifier: { name: 'counted', verify: (items) => { checks.inThread += items.length; return noble.verify(items); } },
    wireVerifier: { name: inner.name, close() {}, check(f: readonly Uint8Array[], ids?: Uint8Array) { checks.wire += f.length; return inner.check(f, ids); } },
    now: clock.now, randomBytes: seededBytes(n), schedule: clock.schedule, replicaId: `r${n}`,
  });
  return { replica, checks, backing };
}

async function board(r: Replica, stories: number): Promise<void> {
  await r.initBoard();
  for (let i = 0; i < stories; i++) await r.command({ type: 'create', input: { id: r.newStoryId(), kind: 'story', title: `story ${i}` } });
}

/** What a sync session streams to a peer that has nothing (SYNC2, SYNC18). */
async function catchUpFrom(r: Replica): Promise<Uint8Array[]> {
  await r.beforeCatchUp();
  return r.opsFor({});
}

/** Ingests a stream in batches as a session would hand them over (all in flight at once). */
async function stream(r: Replica, frames: readonly Uint8Array[], origin: string, batch = 64): Promise<void> {
  const calls: Promise<unknown>[] = [];
  for (let at = 0; at < frames.length; at += batch) calls.push(r.ingest(frames.slice(at, at + batch), origin));
  await Promise.all(calls);
}

/**
 * A replica whose seal writes wait until `release` (each write's seal count
 * is in `writes`): what it stores before then, and how it groups the writes.
 */
async function joinerWithHeldSealWrites(clock: ManualClock) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const writes: number[] = [];
  class SlowSeals extends MemoryOpStore {
    override async appendSeals(seals: Parameters<MemoryOpStore['appendSeals']>[0]): Promise<number> {
      writes.push(seals.length);
      await gate;
      return super.appendSeals(seals);
    }
  }
  const store = new SlowSeals();
  const joiner = await Replica.open({
    roomId: 'room-1', store, meta: store, sealStore: store, signer: new NobleSigner(seed(2)), verifier: new NobleVerifier(),
    now: clock.now, randomBytes: seededBytes(2), schedule: clock.schedule, replicaId: 'r2',
  });
  return { joiner, store, release, writes };
}

type Link = { ta: MemoryTransport; tb: MemoryTransport; sa: SyncSession; sb: SyncSession };

/** Two replicas in sync sessions over a manual memory pair. */
function link(a: Replica, b: Replica): Link {
  const [ta, tb] = createMemoryPair(a.replicaId, b.replicaId, { manual: true });
  const sa = new SyncSession(a, ta);
  const sb = new SyncSession(b, tb);
  sa.start(); sb.start();
  return { ta, tb, sa, sb };
}

/** Delivers frames until nothing moves; `order` picks which links flush each round (seeded tests shuffle it). */
async function settleLinks(links: Link[], replicas: readonly Replica[], order: (links: Link[]) => Link[] = (l) => l): Promise<void> {
  for (let round = 0; round < 1000; round++) {
    let moved = 0;
    for (const l of order(links)) moved += l.ta.flush() + l.tb.flush();
    for (const l of links) { await l.sa.idle(); await l.sb.idle(); }
    for (const r of replicas) await r.seals.settled();
    if (moved === 0) return;
  }
  throw new Error('did not settle');
}

describe('seals', () => {
  test('[REPL17][SYNC18][CORE18] an author seals its ops in runs of 256 and the rest before a catch-up; each seal goes just before its first op', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, MAX_SEAL_IDS + MIN_TAIL_SEAL + 10); // 1 init + stories
    const frames = await catchUpFrom(author);
    const ops = author.doc.log();
    expect(frames.filter((f) => !isSealFrame(f))).toEqual(ops.map((o) => o.bytes));
    const seals = frames.flatMap((f, at) => (isSealFrame(f) ? [{ at, seal: decodeSeal(f) }] : []));
    expect(seals.map(({ seal }) => (seal.ok ? seal.seal.ids.length : 0))).toEqual([MAX_SEAL_IDS, ops.length - MAX_SEAL_IDS]);
    expect(seals.map(({ at }) => at)).toEqual([0, MAX_SEAL_IDS + 1]);
    expect(author.dump().seals).toMatchObject({ made: 2, held: 2 });
    // A short tail is left to be verified op by op.
    for (let i = 0; i < MIN_TAIL_SEAL - 1; i++) await author.command({ type: 'create', input: { id: author.newStoryId(), kind: 'story', title: `late ${i}` } });
    const again = await catchUpFrom(author);
    expect(again.filter(isSealFrame)).toHaveLength(2);
  });

  test('[REPL17][SYNC18][CORE18] a joiner verifies one signature per seal, not per op, keeps the seals and passes them on', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 300);
    const frames = await catchUpFrom(author);
    const seals = frames.filter(isSealFrame).length;
    const joiner = await counted(2, clock);
    await stream(joiner.replica, frames, 'author');
    expect(joiner.replica.doc.stateHash()).toBe(author.doc.stateHash());
    expect(joiner.checks).toEqual({ wire: 0, inThread: seals });
    expect(joiner.replica.dump().seals).toMatchObject({ held: seals, waiting: 0, verified: seals, opsSealed: author.doc.opCount });
    // Kept: stored beside the log, and served from there after a reload.
    expect(joiner.backing.seals.size).toBe(seals);
    const reopened = await counted(2, clock, joiner.backing);
    const onward = await catchUpFrom(reopened.replica);
    expect(onward.filter(isSealFrame)).toHaveLength(seals);
    const third = await counted(3, clock);
    await stream(third.replica, onward, 'joiner', 40);
    expect(third.replica.doc.stateHash()).toBe(author.doc.stateHash());
    expect(third.checks).toEqual({ wire: 0, inThread: seals });
  });

  test('[REPL17][SYNC18] kept seals stream to the other peers ahead of the ops they list; never back to where they came from', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 40);
    const frames = await catchUpFrom(author);
    const joiner = await counted(2, clock);
    const sent: { kind: string; origin: string }[] = [];
    joiner.replica.onApplied((records, origin) => { for (const r of records) sent.push({ kind: r.bytes[0] === SEAL_TAG ? 'seal' : 'op', origin }); });
    await stream(joiner.replica, frames, 'author');
    expect(sent[0]).toEqual({ kind: 'seal', origin: 'author' }); // sessions skip their own origin (SYNC8)
    expect(sent.filter((s) => s.kind === 'seal')).toHaveLength(1);
    expect(sent.filter((s) => s.kind === 'op')).toHaveLength(author.doc.opCount);
  });

  test('[CORE18][CORE8a] an op whose own signature is bad is accepted on its author\'s seal, and the proof travels with it', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 30);
    const ops = author.doc.log();
    // A Byzantine author: op 7's own signature is garbage, but its seal lists it.
    const broken = ops.map((o) => o.bytes);
    broken[7] = broken[7]!.slice(); broken[7][broken[7].length - 3]! ^= 0x40;
    const seal = sealWith(keyPairFromSeed(seed(1)), ops.map((o) => o.id));
    // Without the seal it is rejected (and its successors wait)…
    const alone = await counted(2, clock);
    const r = await alone.replica.ingest(broken, 'author');
    expect(r.outcomes[7]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('bad signature') });
    // …with it, accepted; and the replica that holds it sends the seal along, so a third accepts it too.
    const joiner = await counted(3, clock);
    const withSeal = await joiner.replica.ingest([seal, ...broken], 'author');
    expect(withSeal.outcomes[0]).toMatchObject({ status: 'applied', id: expect.any(String) });
    expect(withSeal.outcomes[8]).toMatchObject({ status: 'applied' });
    expect(joiner.replica.doc.stateHash()).toBe(author.doc.stateHash());
    const third = await counted(4, clock);
    await stream(third.replica, await catchUpFrom(joiner.replica), 'joiner', 16);
    expect(third.replica.doc.stateHash()).toBe(author.doc.stateHash());
    // And the replica that rejected it alone takes it once the seal comes.
    await alone.replica.ingest([seal, broken[7]!], 'author');
    expect(alone.replica.doc.stateHash()).toBe(author.doc.stateHash());
  });

  test('[CORE18][CORE8b] a forged seal, or a good seal by another key, covers nothing: the ops are verified one by one', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 30);
    const ops = author.doc.log();
    const ids = ops.map((o) => o.id);
    const forged = sealWith(keyPairFromSeed(seed(1)), ids).slice();
    forged[forged.length - 1]! ^= 1;
    const byMallory = sealWith(KEYS.mallory, ids);
    const joiner = await counted(2, clock);
    const r = await joiner.replica.ingest([forged, byMallory, ...ops.map((o) => o.bytes)], 'peer');
    expect(r.outcomes[0]).toMatchObject({ status: 'rejected', reason: 'seal: bad signature' });
    expect(r.outcomes[1]).toMatchObject({ status: 'applied' }); // a valid seal, of Mallory's own ids as far as anyone can tell
    expect(r.outcomes.slice(2).every((o) => o.status === 'applied')).toBe(true);
    expect(joiner.checks).toEqual({ wire: ops.length, inThread: 2 });
    expect(joiner.replica.dump().seals).toMatchObject({ opsSealed: 0, rejected: 1, waiting: 1 });
    // A bad copy with a forged seal is rejected, not shadowed by it.
    const bad = ops[3]!.bytes.slice(); bad[bad.length - 1]! ^= 1;
    const other = await counted(3, clock);
    const r2 = await other.replica.ingest([forged, ...ops.slice(0, 3).map((o) => o.bytes), bad], 'peer');
    expect(r2.outcomes[4]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('bad signature') });
  });

  test('[REPL17] seals whose author has no op here wait, at most 64; malformed ones are rejected with the reason', async () => {
    const clock = new ManualClock();
    const { replica } = await counted(2, clock);
    const junk = Array.from({ length: MAX_WAITING_SEALS + 6 }, (_, i) => sealWith(KEYS.mallory, [toHex(new Uint8Array(32).fill(i + 1))]));
    const r = await replica.ingest([...junk, new Uint8Array([SEAL_TAG, 1, 2])], 'peer');
    expect(r.outcomes.slice(0, junk.length).every((o) => o.status === 'applied')).toBe(true);
    expect(r.outcomes[junk.length]).toMatchObject({ status: 'rejected', reason: 'seal: truncated' });
    expect(replica.dump().seals).toMatchObject({ held: MAX_WAITING_SEALS, waiting: MAX_WAITING_SEALS });
    const again = await replica.ingest([junk[junk.length - 1]!], 'peer');
    expect(again.outcomes[0]).toMatchObject({ status: 'duplicate' });
  });

  test('[REPL7][SYNC18] a backup carries the seals, and importing it verifies one signature per seal', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 300);
    await author.beforeCatchUp();
    const file = await author.exportLog();
    const parsed = decodeLogFile(file);
    expect(parsed.ops.filter(isSealFrame)).toHaveLength(2);
    const fresh = await counted(2, clock);
    const report = await fresh.replica.importLog(file);
    expect(report).toMatchObject({ total: author.doc.opCount, applied: author.doc.opCount, seals: 2, rejected: [] });
    expect(fresh.checks).toEqual({ wire: 0, inThread: 2 });
    expect(fresh.replica.doc.stateHash()).toBe(author.doc.stateHash());
  });

  test('[SYNC18][SYNC16][SYNC8] over sync sessions: the catch-up carries the seals, counts are in ops, and a new seal goes live from peer to peer', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 299); // 300 ops: a run of 256 sealed, 44 left
    const joiner = await counted(2, clock);
    const third = await counted(3, clock);
    const aj = link(author, joiner.replica);
    const jt = link(joiner.replica, third.replica);
    const settle = (links: Link[]) => settleLinks(links, [author]);
    await settle([aj, jt]);
    expect(joiner.replica.doc.stateHash()).toBe(author.doc.stateHash());
    expect(third.replica.doc.stateHash()).toBe(author.doc.stateHash());
    // The author sealed its last 44 ops before serving the catch-up: two seals, two signatures checked for 300 ops.
    expect(joiner.checks).toEqual({ wire: 0, inThread: 2 });
    expect(aj.sa.stats()).toMatchObject({ sent: 300, state: 'live' });
    expect(aj.sb.stats()).toMatchObject({ received: 300, expected: 300 });
    // The third got them from the joiner — live as they were applied there, or in its own catch-up — with the seals ahead.
    expect(third.checks).toEqual({ wire: 0, inThread: 2 });
    // Live: the author's next 256 ops make a seal, which reaches both peers and is kept there.
    for (let i = 0; i < MAX_SEAL_IDS; i++) await author.command({ type: 'create', input: { id: author.newStoryId(), kind: 'story', title: `live ${i}` } });
    await settle([aj, jt]);
    expect(third.replica.doc.stateHash()).toBe(author.doc.stateHash());
    expect(joiner.replica.dump().seals).toMatchObject({ held: 3, waiting: 0 });
    expect(third.replica.dump().seals).toMatchObject({ held: 3, waiting: 0 });
  });

  test('[REPL17] ops accepted on a seal are written only once the seal is: a crash never leaves one stored without its proof', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 40);
    const frames = await catchUpFrom(author);
    const { joiner, store, release } = await joinerWithHeldSealWrites(clock);
    await joiner.ingest(frames, 'author');
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(joiner.doc.opCount).toBe(author.doc.opCount);
    expect(store.backing.ops).toHaveLength(0);
    release();
    await joiner.flushed();
    expect(store.backing.seals.size).toBe(1);
    expect(store.backing.ops).toHaveLength(author.doc.opCount);
  });

  test('[REPL17] seals kept while a seal write runs go in one write, not one transaction each', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 3 * MAX_SEAL_IDS);
    const frames = await catchUpFrom(author);
    const { joiner, store, release, writes } = await joinerWithHeldSealWrites(clock);
    // A batch per seal, one after another, as a catch-up's messages bring them: each batch keeps its seal.
    for (let at = 0; at < frames.length; at += MAX_SEAL_IDS + 1) await joiner.ingest(frames.slice(at, at + MAX_SEAL_IDS + 1), 'author');
    expect(joiner.dump().seals.held).toBeGreaterThanOrEqual(3);
    release();
    await joiner.flushed();
    // The first write took the first seal; every seal kept while it ran went in the second.
    expect(writes).toEqual([1, joiner.dump().seals.held - 1]);
    expect(store.backing.seals.size).toBe(joiner.dump().seals.held);
    expect(store.backing.ops).toHaveLength(author.doc.opCount);
  });

  test.each([1, 2, 3, 4, 5])('[SYNC14][SYNC18][CORE18] seed %i: a Byzantine author\'s sealed ops with bad signatures of their own reach every honest replica, which converge', async (seedN) => {
    const rng = new Prng(seedN);
    const clock = new ManualClock();
    const { replica: alice } = await counted(1, clock);
    await board(alice, 20);
    // Mallory (seed 9) joins Alice's board and makes 60 stories; then breaks a third of her ops' own signatures and seals them all.
    const { replica: mallory } = await counted(9, clock);
    await stream(mallory, await catchUpFrom(alice), 'alice');
    for (let i = 0; i < 60; i++) await mallory.command({ type: 'create', input: { id: mallory.newStoryId(), kind: 'bug', title: `m${i}` } });
    const own = mallory.doc.log().filter((o) => o.author === mallory.author);
    const frames = own.map((o) => {
      if (!rng.chance(1 / 3)) return o.bytes;
      const bad = o.bytes.slice(); bad[bad.length - 1 - rng.int(64)]! ^= 1 << rng.int(8); return bad;
    });
    const seal = sealWith(keyPairFromSeed(seed(9)), own.map((o) => o.id));
    const honest = await Promise.all([2, 3, 4].map(async (n) => (await counted(n, clock)).replica));
    const links = [link(alice, honest[0]!), link(honest[0]!, honest[1]!), link(honest[1]!, honest[2]!), link(alice, honest[2]!)];
    const order = (l: Link[]) => rng.shuffle([...l]);
    await settleLinks(links, [alice, ...honest], order);
    // Mallory streams her ops, seal first, to one honest replica, in batches of random size, while the room syncs.
    const target = rng.pick(honest);
    const batches: Uint8Array[][] = [];
    const all = [seal, ...frames];
    for (let at = 0; at < all.length;) { const n = rng.range(1, 24); batches.push(all.slice(at, at + n)); at += n; }
    for (const b of batches) {
      await target.ingest(b, 'mallory');
      if (rng.chance(0.5)) await settleLinks(links, [alice, ...honest], order);
    }
    await settleLinks(links, [alice, ...honest], order);
    const want = mallory.doc.stateHash();
    for (const r of [alice, ...honest]) {
      expect(r.doc.stateHash()).toBe(want);
      expect(r.dump().seals.held).toBeGreaterThanOrEqual(1);
    }
  });

  test('[REPL17][REPL16] two peers stream the same sealed catch-up at once: every op is taken once, and counted once as taken on a seal', async () => {
    const clock = new ManualClock();
    const { replica: author } = await counted(1, clock);
    await board(author, 300);
    const frames = await catchUpFrom(author);
    const joiner = await counted(2, clock);
    await Promise.all([stream(joiner.replica, frames, 'peer-a', 40), stream(joiner.replica, frames, 'peer-b', 56)]);
    expect(joiner.replica.doc.stateHash()).toBe(author.doc.stateHash());
    expect(joiner.checks.wire).toBe(0);
    expect(joiner.replica.dump().seals.opsSealed).toBe(author.doc.opCount);
  });
});
