// CORE13: local ops may be prepared ahead of their signatures. A prepare made
// while earlier ops of its author await signing chains on the last of them,
// and the ops commit in the order prepared — to the same ops, bytes and state
// as prepare → sign → commit one at a time.
import { describe, expect, test } from 'vitest';
import { InvariantError } from './assert.js';
import { toHex } from './bytes.js';
import { Document, type OpValidator, type PreparedOp } from './document.js';
import { HEAD, ROOT, type LocalAction, type Op } from './op.js';
import { keyPairFromSeed, signBytes, type KeyPair } from './sign.js';
import { Prng } from '../../tests/support/prng.js';

const alice = keyPairFromSeed(new Uint8Array(32).fill(1));
const bob = keyPairFromSeed(new Uint8Array(32).fill(2));
const ALICE = toHex(alice.publicKey);

/**
 * A seeded script of edits, each given the ids of the ops before it: maps
 * inserted into a list (after the last one), their fields set again and
 * their elements deleted — mostly naming what the few ops before created.
 */
function script(seed: number, n: number): ((ids: readonly string[]) => LocalAction[])[] {
  const rng = new Prng(seed);
  const steps: ((ids: readonly string[]) => LocalAction[])[] = [
    () => [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }],
  ];
  /** Steps that inserted a map into the list (its element is `${id}:0`). */
  const inserts: number[] = [];
  for (let i = 1; i < n; i++) {
    const kind = inserts.length < 3 ? 0 : rng.int(3);
    const recent = inserts.length === 0 ? -1 : inserts[inserts.length - 1 - rng.int(Math.min(6, inserts.length))]!;
    if (kind === 0) {
      const after = inserts.length === 0 ? -1 : inserts[inserts.length - 1]!;
      inserts.push(i);
      steps.push((ids) => [
        { type: 'ins', obj: `${ids[0]}:0`, after: after < 0 ? HEAD : `${ids[after]}:0`, value: { make: 'map' } },
        { type: 'set', obj: { self: 0 }, key: 'title', value: `item ${i}` },
        { type: 'set', obj: { self: 0 }, key: 'tags', value: { make: 'list' } },
      ]);
    } else if (kind === 1) {
      steps.push((ids) => [{ type: 'set', obj: `${ids[recent]}:0`, key: 'title', value: `edit ${i}` }]);
    } else {
      steps.push((ids) => [{ type: 'del', obj: `${ids[0]}:0`, elem: `${ids[recent]}:0` }]);
    }
  }
  return steps;
}

/** Runs the script one op at a time: prepare → sign → commit. */
function oneAtATime(steps: ReturnType<typeof script>, keys: KeyPair, doc = new Document()): Op[] {
  const ids: string[] = [];
  const ops: Op[] = [];
  for (const step of steps) {
    const op = doc.change(keys, step(ids));
    ids.push(op.id);
    ops.push(op);
  }
  return ops;
}

/** Runs the script with up to `window` ops prepared ahead of their signatures. */
function ahead(steps: ReturnType<typeof script>, keys: KeyPair, window: number, doc = new Document()): Op[] {
  const author = toHex(keys.publicKey);
  const ids: string[] = [];
  const ops: Op[] = [];
  const pending: PreparedOp[] = [];
  const commitOldest = () => {
    const p = pending.shift()!;
    ops.push(doc.commit(p, signBytes(keys.secretKey, p.idBytes)));
  };
  for (const step of steps) {
    const p = doc.prepare(author, step(ids));
    ids.push(p.id);
    pending.push(p);
    if (pending.length >= window) commitOldest();
  }
  while (pending.length > 0) commitOldest();
  return ops;
}

describe('[CORE13] ops prepared ahead of their signatures', () => {
  test('commit to the same ops, bytes and state as one at a time', () => {
    for (const [seed, window] of [[1, 2], [2, 8], [3, 64]] as const) {
      const a = new Document();
      const b = new Document();
      const one = oneAtATime(script(seed, 120), alice, a);
      const many = ahead(script(seed, 120), alice, window, b);
      expect(many.map((o) => toHex(o.bytes))).toEqual(one.map((o) => toHex(o.bytes)));
      expect(b.state.stateHash()).toBe(a.state.stateHash());
      expect(b.toJson()).toEqual(a.toJson());
    }
  });

  test('a chained op is checked against what the ops before it will create', () => {
    const doc = new Document();
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }]);
    const items = `${p1.id}:0`;
    const p2 = doc.prepare(ALICE, [{ type: 'ins', obj: items, after: HEAD, value: 'x' }]);
    expect(p2.header.prev).toBe(p1.id);
    expect(p2.header.seq).toBe(2);
    // The element p2 inserts is in that list; a map op on the list is not.
    expect(() => doc.prepare(ALICE, [{ type: 'set', obj: items, key: 'k', value: 1 }])).toThrow(/local op is invalid: action 0: set on a list/);
    const p3 = doc.prepare(ALICE, [{ type: 'ins', obj: items, after: `${p2.id}:0`, value: 'y' }]);
    expect(p3.header.deps).toEqual([p1.id]);
    // Nothing is applied until committed.
    expect(doc.opCount).toBe(0);
    for (const p of [p1, p2, p3]) doc.commit(p, signBytes(alice.secretKey, p.idBytes));
    expect(doc.toJson()).toEqual({ items: ['x', 'y'] });
  });

  test('an op that names another author\'s unsigned op is refused at prepare', () => {
    const doc = new Document();
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }]);
    doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'n', value: 1 }]);
    expect(() => doc.prepare(toHex(bob.publicKey), [{ type: 'ins', obj: `${p1.id}:0`, after: HEAD, value: 1 }])).toThrow(InvariantError);
  });

  test('commits go in the order prepared; abandoning an op drops the ops chained after it', () => {
    const doc = new Document();
    const first = doc.change(alice, [{ type: 'set', obj: ROOT, key: 'a', value: 1 }]);
    const p2 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'b', value: 2 }]);
    const p3 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'c', value: 3 }]);
    expect(() => doc.commit(p3, signBytes(alice.secretKey, p3.idBytes))).toThrow(/oldest pending/);
    doc.abandon(p2);
    expect(() => doc.commit(p3, signBytes(alice.secretKey, p3.idBytes))).toThrow(/oldest pending/);
    // The next op follows the last committed one.
    const p4 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'd', value: 4 }]);
    expect(p4.header.prev).toBe(first.id);
    expect(p4.header.seq).toBe(2);
    doc.commit(p4, signBytes(alice.secretKey, p4.idBytes));
    expect(doc.toJson()).toEqual({ a: 1, d: 4 });
  });

  test('abandoning an op in the middle keeps the ones before it, and the next prepare chains on them', () => {
    const doc = new Document();
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'm', value: { make: 'map' } }]);
    const p2 = doc.prepare(ALICE, [{ type: 'set', obj: `${p1.id}:0`, key: 'x', value: 1 }]);
    doc.prepare(ALICE, [{ type: 'set', obj: `${p1.id}:0`, key: 'y', value: 2 }]);
    doc.abandon(p2);
    const p4 = doc.prepare(ALICE, [{ type: 'set', obj: `${p1.id}:0`, key: 'z', value: 3 }]);
    expect(p4.header.prev).toBe(p1.id);
    doc.commit(p1, signBytes(alice.secretKey, p1.idBytes));
    doc.commit(p4, signBytes(alice.secretKey, p4.idBytes));
    expect(doc.toJson()).toEqual({ m: { z: 3 } });
  });

  test('domain rules judge a chained op at its commit, on the state it follows; a refusal applies nothing', () => {
    // A map whose `locked` field is true takes no other field.
    const validate: OpValidator = (doc, op) => {
      for (const a of op.actions) {
        if (a.type !== 'set' || a.key === 'locked') continue;
        const c = doc.state.containers.get(a.obj);
        if (c?.kind === 'map' && c.map.get('locked')?.value === true) return 'the map is locked';
      }
      return undefined;
    };
    const doc = new Document({ validate });
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'm', value: { make: 'map' } }]);
    const m = `${p1.id}:0`;
    const p2 = doc.prepare(ALICE, [{ type: 'set', obj: m, key: 'locked', value: true }]);
    const p3 = doc.prepare(ALICE, [{ type: 'set', obj: m, key: 'x', value: 1 }]);
    doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'after', value: 1 }]);
    doc.commit(p1, signBytes(alice.secretKey, p1.idBytes));
    doc.commit(p2, signBytes(alice.secretKey, p2.idBytes));
    expect(() => doc.commit(p3, signBytes(alice.secretKey, p3.idBytes))).toThrow(/local op is invalid: the map is locked/);
    expect(doc.opCount).toBe(2);
    expect(doc.toJson()).toEqual({ m: { locked: true } });
    const next = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'after', value: 2 }]);
    expect(next.header.prev).toBe(p2.id);
  });

  test('a remote op applied before a chained prepare is in that op\'s past: the later local write wins, as one at a time', () => {
    const doc = new Document();
    const other = new Document();
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'title', value: 'a' }]);
    // Bob's replica has a higher clock; his write reaches this replica while p1 is unsigned.
    for (let i = 0; i < 9; i++) other.change(bob, [{ type: 'set', obj: ROOT, key: 'n', value: i }]);
    const remote = other.change(bob, [{ type: 'set', obj: ROOT, key: 'title', value: 'b' }]);
    expect(doc.ingest(other.log().map((o) => o.bytes)).applied).toHaveLength(10);
    const p2 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'title', value: 'c' }]);
    expect(p2.header.deps).toEqual([remote.id]);
    expect(p2.header.lamport).toBe(remote.lamport + 1);
    const mine = [p1, p2].map((p) => doc.commit(p, signBytes(alice.secretKey, p.idBytes)));
    other.ingest(mine.map((o) => o.bytes));
    for (const d of [doc, other]) expect(d.toJson()).toMatchObject({ title: 'c' });
  });

  test('remote ops applied between chained prepares and their commits: every replica converges', () => {
    const doc = new Document();
    const other = new Document();
    const pending = [] as PreparedOp[];
    const p1 = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }]);
    pending.push(p1);
    pending.push(doc.prepare(ALICE, [{ type: 'ins', obj: `${p1.id}:0`, after: HEAD, value: 'a' }]));
    // Bob edits meanwhile; his op reaches this replica before Alice's commits.
    const remote = other.change(bob, [{ type: 'set', obj: ROOT, key: 'title', value: 'board' }]);
    expect(doc.ingest([remote.bytes]).applied).toHaveLength(1);
    pending.push(doc.prepare(ALICE, [{ type: 'ins', obj: `${p1.id}:0`, after: HEAD, value: 'b' }]));
    expect(pending[2]!.header.deps).toEqual([p1.id, remote.id].sort());
    const mine = pending.map((p) => doc.commit(p, signBytes(alice.secretKey, p.idBytes)));
    // Bob's replica and a third one that gets everything in another order agree.
    expect(other.ingest(mine.map((o) => o.bytes)).applied).toHaveLength(3);
    const third = new Document();
    third.ingest([...mine.map((o) => o.bytes).reverse(), remote.bytes]);
    expect(third.opCount).toBe(4);
    for (const d of [other, third]) expect(d.state.stateHash()).toBe(doc.state.stateHash());
    expect(doc.toJson()).toEqual({ items: ['b', 'a'], title: 'board' });
    // The last chained op named the remote one: nothing is left for the next to name.
    const next = doc.prepare(ALICE, [{ type: 'set', obj: ROOT, key: 'n', value: 1 }]);
    expect(next.header.deps).toEqual([]);
  });
});
