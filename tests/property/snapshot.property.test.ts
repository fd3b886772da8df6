// Snapshots are equivalent to replay (CORE16): for seeded random logs — raw
// core ops (sets, nested containers, concurrent inserts, deletes, several
// authors, an equivocating fork) and board commands — restoring the snapshot
// of a prefix and replaying the tail gives the same document as replaying the
// whole log: state hash, heads, version vector, dump, the outcomes of later
// ingests and the ops later prepared locally; its snapshot is byte-identical.
// The restored state decodes containers on first use, so the tail and later
// ops meet a state that is still mostly undecoded.
// Damaged, truncated and foreign snapshots are refused with a reason, never a throw.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  Document, HEAD, ROOT, decodeOp, encodeSnapshot, restoreSnapshot, toHex, SNAPSHOT_VERSION,
  type DocumentOptions, type LocalAction, type ObjId, type Op, type Value,
} from '../../src/core/index.js';
import { BoardIndex, cachedBoard, commandActions, type CachedBoard, newStoryId, validateOpForBoard, STAGES, type Command } from '../../src/pipeline/index.js';
import { keys } from '../../src/pipeline/test-support.js';
import { EXTENSIVE } from '../support/core-fixtures.js';
import { Prng } from '../support/prng.js';
import { mutate, mutations } from './mutations.js';

const SEEDS = EXTENSIVE ? 200 : 24;
const ZERO_SIG = new Uint8Array(64);
const AUTHORS = [keys(1).hex, keys(2).hex, keys(3).hex];

function local(doc: Document, author: string, actions: LocalAction[]): Op {
  return doc.commit(doc.prepare(author, actions), ZERO_SIG);
}

/** Ops of `from` that `to` lacks, in `from`'s order (optionally only the first `limit`). */
function missing(from: Document, to: Document, limit = Infinity): Uint8Array[] {
  return from.ops().filter((o) => !to.has(o.id)).slice(0, limit).map((o) => o.bytes);
}

const pick = <T>(rng: Prng, xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[rng.int(xs.length)]);

function randomValue(rng: Prng): Value {
  switch (rng.int(10)) {
    case 0: return null;
    case 1: return rng.int(2) === 0;
    case 2: return rng.int(1000);
    case 3: return 2 ** 40 + rng.int(1000);
    case 4: return -rng.float() * 1e6;
    case 5: return 0.5 + rng.int(100);
    case 6: return `text ${rng.int(50)} – naïve ✓ 𝄞`;
    case 7: return { make: 'map' };
    case 8: return { make: 'list' };
    default: return `v${rng.int(20)}`;
  }
}

/** One random raw-core op for `author` on `doc`, or undefined when there is nothing sensible to do. */
function randomActions(rng: Prng, doc: Document): LocalAction[] {
  const maps: ObjId[] = [];
  const lists: ObjId[] = [];
  for (const c of doc.state.containers.values()) if (c.depth < 15) (c.kind === 'map' ? maps : lists).push(c.id);
  const r = rng.int(10);
  const list = pick(rng, lists);
  if (r < 3 || list === undefined) {
    const obj = pick(rng, maps)!;
    const key = pick(rng, ['a', 'b', 'title', 'ünï', 'k' + rng.int(5)])!;
    const acts: LocalAction[] = [{ type: 'set', obj, key, value: randomValue(rng) }];
    if (rng.int(4) === 0) acts.push({ type: 'set', obj, key: 'list' + rng.int(3), value: { make: 'list' } });
    return acts;
  }
  const c = doc.state.containers.get(list)!;
  const els = c.kind === 'list' ? [...c.list.all()] : [];
  if (r < 5 && els.some((e) => !e.deleted)) {
    const live = els.filter((e) => !e.deleted);
    return [{ type: 'del', obj: list, elem: pick(rng, live)!.id }];
  }
  const after = rng.int(3) === 0 ? HEAD : (pick(rng, els)?.id ?? HEAD);
  // An insert of a map with a field set in the same op (self refs), like a story.
  if (rng.int(3) === 0) return [{ type: 'ins', obj: list, after, value: { make: 'map' } }, { type: 'set', obj: { self: 0 }, key: 'title', value: randomValue(rng) }];
  return [{ type: 'ins', obj: list, after, value: randomValue(rng) }];
}

/** Random board command for `doc` (or undefined when it cannot apply). */
function randomCommand(rng: Prng, doc: Document): Command {
  const stories: string[] = [];
  const json = doc.toJson() as { stories?: { id?: string }[] };
  for (const s of json.stories ?? []) if (typeof s.id === 'string') stories.push(s.id);
  const id = pick(rng, stories);
  const r = rng.int(10);
  if (id === undefined || r < 3) {
    const bytes = new Uint8Array(5).map(() => rng.int(256));
    return { type: 'create', input: { id: newStoryId(bytes), kind: 'story', title: `Story ${rng.int(1000)} ✓`, criteria: ['one', { text: 'two', done: true }], stage: pick(rng, STAGES.slice(0, 3)) } };
  }
  if (r < 5) return { type: 'move', storyId: id, stage: pick(rng, STAGES)! };
  if (r < 7) return { type: 'edit', storyId: id, patch: { title: `Renamed ${rng.int(1000)}`, description: rng.int(2) ? 'with **markdown**' : '' } };
  if (r < 8) return { type: 'block', storyId: id, reason: 'waiting' };
  if (r < 9) return { type: 'purge', storyId: id };
  return { type: 'set-name', name: `Name ${rng.int(10)}` };
}

interface World { readonly log: Uint8Array[]; readonly later: Uint8Array[]; readonly options: DocumentOptions }

/**
 * Three authors edit their own documents and sync partially (so inserts are
 * concurrent); an observer receives everything shuffled (so ops buffer and are
 * released out of arrival order). Its applied log is the log under test;
 * `later` holds ops made afterwards, duplicates and out-of-order ones.
 */
function world(seed: number, board: boolean): World {
  const rng = new Prng(seed);
  const options: DocumentOptions = board ? { validate: validateOpForBoard } : {};
  const docs = AUTHORS.map(() => new Document(options));
  const forks: Op[] = [];
  let now = 1_700_000_000_000;
  const step = (i: number) => {
    const d = docs[i]!;
    if (rng.int(4) === 0) {
      const other = docs[rng.int(docs.length)]!;
      if (other !== d) d.replay(missing(other, d, 1 + rng.int(8)));
      return;
    }
    now += rng.int(5000);
    if (board) {
      try {
        const acts = commandActions(d, { author: AUTHORS[i]!, now }, randomCommand(rng, d));
        if (acts.length > 0) local(d, AUTHORS[i]!, acts);
      } catch { /* a command refused (e.g. purged story): skip */ }
    } else local(d, AUTHORS[i]!, randomActions(rng, d));
  };
  if (board) local(docs[0]!, AUTHORS[0]!, commandActions(docs[0]!, { author: AUTHORS[0]!, now }, { type: 'init' }));
  else local(docs[0]!, AUTHORS[0]!, [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }]);
  for (const d of docs.slice(1)) d.replay(missing(docs[0]!, d));
  const steps = 40 + rng.int(80);
  for (let s = 0; s < steps; s++) {
    step(rng.int(docs.length));
    if (!board && s === 20) {
      // Equivocation: a copy of author 2 makes a different op with the same seq.
      const fork = new Document(options);
      fork.replay(docs[2]!.ops().map((o) => o.bytes));
      forks.push(local(fork, AUTHORS[2]!, [{ type: 'set', obj: ROOT, key: 'fork', value: 'other branch' }]));
    }
  }
  const all = [...docs.flatMap((d) => d.ops()), ...forks];
  const seen = new Set<string>();
  const pool = all.filter((o) => (seen.has(o.id) ? false : (seen.add(o.id), true)));
  for (let i = pool.length - 1; i > 0; i--) { const j = rng.int(i + 1); [pool[i], pool[j]] = [pool[j]!, pool[i]!]; }
  const observer = new Document(options);
  observer.replay(pool.map((o) => o.bytes));
  const log = observer.ops().map((o) => o.bytes);
  // Later: new ops from every author, mixed with duplicates of the log, some arriving before their dependencies.
  for (let s = 0; s < 20; s++) step(rng.int(docs.length));
  const fresh = docs.flatMap((d) => d.ops()).filter((o) => !observer.has(o.id)).map((o) => o.bytes);
  const later = [...fresh.slice(Math.floor(fresh.length / 2)), ...log.filter(() => rng.int(10) === 0), ...fresh.slice(0, Math.floor(fresh.length / 2))];
  return { log, later, options };
}

function expectSame(a: Document, b: Document): void {
  expect(a.stateHash()).toBe(b.stateHash());
  expect(a.heads()).toEqual(b.heads());
  expect(a.headsInOrder()).toEqual(b.headsInOrder());
  expect(a.versionVector()).toEqual(b.versionVector());
  expect(a.maxLamport).toBe(b.maxLamport);
  expect(a.opCount).toBe(b.opCount);
  expect(a.dump()).toEqual(b.dump());
  const meta = (d: Document) => d.appliedMeta().map(({ id, author, seq, lamport }) => ({ id, author, seq, lamport }));
  expect(meta(a)).toEqual(meta(b));
  expect([...a.authorTips()]).toEqual([...b.authorTips()]);
  expect(a.state.rootChildren).toEqual(b.state.rootChildren);
}

function checkSeed(seed: number, board: boolean): void {
  const { log, later, options } = world(seed, board);
  const rng = new Prng(seed ^ 0x5eed);
  const k = rng.int(log.length + 1);
  const full = new Document(options);
  expect(full.replay(log).applied.length).toBe(log.length);
  const prefix = new Document(options);
  prefix.replay(log.slice(0, k));
  const snap = encodeSnapshot(prefix);
  const restored = restoreSnapshot(snap, board ? { ...options, decodeText: (b) => new TextDecoder().decode(b) } : options);
  if (!restored.ok) throw new Error(`seed ${seed}: snapshot refused: ${restored.reason}`);
  const doc = restored.doc;
  expect(restored.ops).toBe(k);
  // Restored lazily: only the root is decoded until an op or a read needs another container.
  expect(doc.state.containers.decoded).toBe(1);
  // A snapshot of the restored document is the same bytes (nothing lost or
  // reordered) — checked on a second restore, so that the tail below meets
  // the first one still lazy.
  const again = restoreSnapshot(snap, options);
  if (!again.ok) throw new Error(again.reason);
  expect(encodeSnapshot(again.doc)).toEqual(snap);
  expectSame(again.doc, prefix);
  // Every prefix op is found by id at its position (PrefixIds), and an id not in the log is not.
  prefix.appliedMeta().forEach((m, i) => expect(again.doc.positionOf(m.id)).toBe(i));
  expect(again.doc.positionOf('f'.repeat(64))).toBeUndefined();
  expect(doc.detachedOps).toBe(k);
  const tail = doc.replay(log.slice(k));
  expect(tail.outcomes.every((o) => o.status === 'applied')).toBe(true);
  expectSame(doc, full);
  expect(encodeSnapshot(doc)).toEqual(encodeSnapshot(full));
  if (board) checkCachedBoard(prefix, log.slice(k), full, options);
  // Later ingests: the same outcomes, the same applied ops, in the same order.
  const rd = doc.replay(later);
  const rf = full.replay(later);
  expect(rd.outcomes).toEqual(rf.outcomes);
  expect(rd.applied.map((o) => o.id)).toEqual(rf.applied.map((o) => o.id));
  expectSame(doc, full);
  // Local prepares by every author and a new one: the same op, byte for byte.
  for (const author of [...AUTHORS, keys(9).hex]) {
    const acts: LocalAction[] = board
      ? commandActions(full, { author, now: 1_800_000_000_000 }, { type: 'set-name', name: `n${seed}` })
      : [{ type: 'set', obj: ROOT, key: 'last', value: author.slice(0, 8) }];
    if (acts.length === 0) continue;
    const pd = doc.prepare(author, acts);
    const pf = full.prepare(author, acts);
    expect(pd.id).toBe(pf.id);
    doc.commit(pd, ZERO_SIG);
    full.commit(pf, ZERO_SIG);
  }
  expectSame(doc, full);
  // The prefix's bytes attach in order; then the op logs are equal, bytes included.
  if (k > 0) expect(() => doc.ops()).toThrow(/not attached/);
  doc.attachPrefix(log.slice(0, k).map((b) => { const d = decodeOp(b); if (!d.ok) throw new Error(d.reason); return { id: d.op.id, bytes: b }; }));
  expect(doc.log().map((o) => [o.id, toHex(o.bytes)])).toEqual(full.log().map((o) => [o.id, toHex(o.bytes)]));
  expect(doc.ops().map((o) => o.id)).toEqual(full.ops().map((o) => o.id));
}

/**
 * The board's stories kept in the snapshot (`derived`, CORE16; REPL12): an
 * index built from them, with the tail folded in as live ops, is the index
 * a full read of the whole log builds.
 */
function checkCachedBoard(prefix: Document, tail: readonly Uint8Array[], full: Document, options: DocumentOptions): void {
  const cache = new BoardIndex(prefix).cache();
  const snap = encodeSnapshot(prefix, cache);
  const restored = restoreSnapshot(snap, options);
  if (!restored.ok) throw new Error(restored.reason);
  expect(restored.derived).toEqual(cache);
  const cached = cachedBoard(restored.derived, prefix.opCount);
  expect(cached).toBeDefined();
  const index = new BoardIndex(restored.doc, cached);
  index.update(restored.doc.replay(tail).applied, 0);
  const fresh = new BoardIndex(full);
  expect(index.view).toEqual(fresh.view);
  // The same stories as read (in another order: the tail's new ones come last).
  const byElem = (c: CachedBoard | undefined) => [...c!.raws].sort((x, y) => (x.elem < y.elem ? -1 : 1));
  expect(byElem(index.cache())).toEqual(byElem(fresh.cache()));
  // Of another format or another prefix, it is not used.
  expect(cachedBoard({ ...cache, format: -1 }, prefix.opCount)).toBeUndefined();
  expect(cachedBoard(cache, prefix.opCount + 1)).toBeUndefined();
}

describe('[CORE16] snapshot of a prefix + replay of the tail = replay of the whole log', () => {
  test('raw core ops: nested containers, concurrent inserts, deletes, three authors, an equivocating fork', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      try { checkSeed(seed, false); } catch (e) { throw new Error(`seed ${seed} (raw) failed: ${String(e)}`); }
    }
  });

  test('board commands (create, move, edit, block, purge, names) under the board schema', () => {
    for (let seed = 1; seed <= Math.ceil(SEEDS / 2); seed++) {
      try { checkSeed(seed, true); } catch (e) { throw new Error(`seed ${seed} (board) failed: ${String(e)}`); }
    }
  });

  test('derived data round-trips: values, nesting, ids of the state as references', () => {
    const { log, options } = world(5, false);
    const doc = new Document(options);
    doc.replay(log);
    const ids = [...doc.state.containers.keys()].slice(0, 20);
    const derived = { ids, json: doc.toJson(), n: [-1.5, 0, 2 ** 40, 7], flags: [true, false, null], text: 'naïve ✓ 𝄞', nested: [[[{ deep: ids[3] }]]], gone: undefined };
    const snap = encodeSnapshot(doc, derived);
    const r = restoreSnapshot(snap);
    if (!r.ok) throw new Error(r.reason);
    const { gone: _gone, ...kept } = derived;
    expect(r.derived).toEqual(kept);
    expect(r.derived).not.toHaveProperty('gone');
    // Ids are references, not strings in the table: the snapshot grows by a few bytes per id.
    expect(encodeSnapshot(doc, { ids }).length - encodeSnapshot(doc).length).toBeLessThan(ids.length * 8);
    expect(() => encodeSnapshot(doc, { f: () => 1 })).toThrow(/function/);
    expect(() => encodeSnapshot(doc, { x: NaN })).toThrow(/finite/);
  });

  test('an empty document round-trips', () => {
    const r = restoreSnapshot(encodeSnapshot(new Document()));
    expect(r.ok).toBe(true);
    if (r.ok) expectSame(r.doc, new Document());
  });
});

/** The snapshot's checksum (FNV-1a over the length, then LE words after the 16-byte header), to forge it over mutated bodies. */
function fixChecksum(b: Uint8Array): Uint8Array {
  if (b.length < 16) return b;
  let h = Math.imul(0x811c9dc5 ^ b.length, 0x01000193);
  for (let i = 16; i < b.length; i += 4) {
    let w = 0;
    for (let k = 0; k < 4 && i + k < b.length; k++) w |= b[i + k]! << (8 * k);
    h = Math.imul(h ^ w, 0x01000193);
  }
  new DataView(b.buffer, b.byteOffset).setUint32(12, h >>> 0, true);
  return b;
}

describe('[CORE16] bad snapshots are refused with a reason, never thrown', () => {
  const { log } = world(7, false);
  const doc = new Document();
  doc.replay(log);
  const snap = encodeSnapshot(doc);

  test('truncated, damaged, foreign-version and non-byte snapshots', () => {
    const refused = (x: unknown) => { const r = restoreSnapshot(x); expect(r.ok).toBe(false); return r.ok ? '' : r.reason; };
    expect(refused(snap.slice(0, snap.length - 1))).toMatch(/checksum/);
    expect(refused(snap.slice(0, 5))).toMatch(/truncated/);
    expect(refused(new Uint8Array(0))).toMatch(/truncated/);
    const flipped = snap.slice(); flipped[snap.length >> 1] ^= 0x10;
    expect(refused(flipped)).toMatch(/checksum/);
    const foreign = snap.slice(); foreign[8] = SNAPSHOT_VERSION + 1;
    expect(refused(foreign)).toMatch(/version/);
    const magic = snap.slice(); magic[0] = 0;
    expect(refused(magic)).toMatch(/magic/);
    expect(refused('snapshot')).toMatch(/not bytes/);
    expect(refused(null)).toMatch(/not bytes/);
    // A structurally cut body with a valid checksum.
    expect(refused(fixChecksum(snap.slice(0, snap.length - 3)))).toMatch(/truncated|out of range|count|trailing|root/);
    expect(refused(fixChecksum(Uint8Array.from([...snap, 0])))).toMatch(/trailing/);
  });

  test('mutated snapshots with forged checksums never throw', () => {
    fc.assert(fc.property(mutations, (ms) => {
      const r = restoreSnapshot(fixChecksum(mutate(snap, ms)));
      if (!r.ok) expect(typeof r.reason).toBe('string');
      // One that passes the scan decodes every container without a throw.
      else { r.doc.toJson(); r.doc.stateHash(); }
    }), { seed: 42, numRuns: EXTENSIVE ? 2000 : 150 });
  });
});
