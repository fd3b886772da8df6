// The Byzantine catalogue (DESIGN §6): one test per attack on the core. Each
// hostile frame is rejected or handled with a reason, nothing throws, and the
// honest state (stateHash) is unchanged — or, for attacks that are legal
// (equivocation, coverage), every replica ends in the same state.
//
// Attacks:
//  1. forged signature                            [CORE8]
//  2. signer ≠ author                             [CORE8]
//  3. hash mismatch: body tampered, sig kept      [CORE2]
//  4. tampered path (obj / key)                   [CORE2]
//  5. tampered sequence                           [CORE2][CORE4]
//  6. tampered Lamport                            [CORE2][CORE5]
//  7. tampered dependencies                       [CORE2]
//  8. equivocation (same author + seq, two ops)   [CORE4][CORE12]
//  9. duplicate replay                            [CORE7]
// 10. flood of ops with missing dependencies past the per-author and total buffer caps [CORE7]
// 11. oversized value / oversized op / too many actions or deps [CORE11]
// 12. deeply nested value (nesting > 16)          [CORE9]
// 13. `__proto__` / `constructor` / `prototype` keys [CORE9]
// 14. non-canonical encodings, re-signed so only the form is wrong [CORE3]
// 15. truncated or garbage bytes, non-byte frames [CORE7]
// 16. Lamport jump too large / Lamport not after dependencies [CORE5]
// 17. prev pointing to another author's op        [CORE4]
// 18. a reference outside prev/deps, wrong container kind, element of another list [CORE9]
// 19. an unsigned run (bad sig on op k) followed by a valid op k+1 — k is rejected, k+1 waits, same on every replica in any order [CORE8]
// 20. regression: a valid k+1 that can never apply must not smuggle in an unsigned k (it partitioned honest replicas) [CORE8]
// 21. a bad-signature copy of a valid op in the same batch does not shadow the valid copy [CORE8]
// 22. a forged seal, or a valid seal by another key listing alice's ops, covers nothing [CORE18]
// 23. a sealed op whose own signature is bad: accepted with its author's seal on every replica, rejected without [CORE18]
// 24. malformed seals (truncated, empty, an id twice, trailing bytes) are refused with a reason, never thrown [CORE18]
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Document, MAX_LAMPORT_JUMP, ROOT, SEAL_TAG, SealBook, decodeOp, decodeSeal, encodeBody, fromHex, isSealFrame, nobleVerifyBatch,
  sealWith, verifySeal,
  type IngestResult, type LocalAction, type Op, type OpHeader,
} from '../../src/core/index.js';
import {
  KEYS, authorOf, bodyOf, flipByte, forgeOp, framesOf, makeBoard, permutations, replicaOf, signBody, splice,
} from '../support/core-fixtures.js';

const alice = authorOf(KEYS.alice);
const mallory = authorOf(KEYS.mallory);
const FAKE = 'ab'.repeat(32);

let honest: Uint8Array[];
let honestHash: string;
let stories: string;
let story: string;
let storyOp: Op;
let aliceLast: Op;

beforeAll(() => {
  const b = makeBoard(KEYS.alice);
  const s = b.addStory(KEYS.alice, 'first');
  b.doc.change(KEYS.bob, [{ type: 'set', obj: s.story, key: 'stage', value: 'doing' }]);
  honest = framesOf(b.doc);
  honestHash = b.doc.stateHash();
  stories = b.stories;
  story = s.story;
  storyOp = s.op;
  aliceLast = s.op;
});

/** A replica holding the honest ops. */
function replica(bufferLimits?: { perAuthor: number; total: number }): Document {
  const r = replicaOf(honest, bufferLimits);
  expect(r.stateHash()).toBe(honestHash);
  return r;
}

/** Ingests hostile frames; asserts no throw, every outcome rejected with a reason, honest state unchanged. */
function expectRejected(frames: unknown[], reason?: RegExp): void {
  const r = replica();
  const res = r.ingest(frames);
  for (const o of res.outcomes) {
    expect(o.status).toBe('rejected');
    expect(typeof o.reason).toBe('string');
    if (reason) expect(o.reason).toMatch(reason);
  }
  expect(res.applied).toEqual([]);
  expect(r.stateHash()).toBe(honestHash);
}

/** Alice's next honest op, made on a private copy (not delivered anywhere). */
function nextAliceOp(actions: LocalAction[]): Op {
  const copy = replicaOf(honest);
  return copy.change(KEYS.alice, actions);
}

/** Byte offset of an ASCII string in a frame. */
function offsetOf(bytes: Uint8Array, ascii: string): number {
  const needle = [...ascii].map((c) => c.charCodeAt(0));
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error(`${ascii} not found`);
}

const setTitle = (): LocalAction[] => [{ type: 'set', obj: story, key: 'title', value: 'renamed' }];

test('[CORE8] 1. forged signature is rejected', () => {
  const op = nextAliceOp(setTitle());
  expectRejected([flipByte(op.bytes, op.bytes.length - 10)], /bad signature/);
  const zeroSig = op.bytes.slice(); zeroSig.fill(0, zeroSig.length - 64);
  expectRejected([zeroSig], /bad signature/);
});

test('[CORE8] 2. signer ≠ author: an op naming alice as author but signed by mallory is rejected', () => {
  const header: OpHeader = { author: alice, seq: aliceLast.seq + 1, lamport: 10, prev: aliceLast.id, deps: [] };
  expectRejected([forgeOp(KEYS.mallory, header, setTitle())], /bad signature/);
});

test('[CORE2] 3. hash mismatch: a body byte changed, signature kept, is rejected', () => {
  const op = nextAliceOp(setTitle());
  const at = offsetOf(op.bytes, 'renamed');
  expectRejected([flipByte(op.bytes, at, 0x20)], /bad signature/);
});

test('[CORE2] 4. tampered path (object ref and key) is rejected', () => {
  const op = nextAliceOp(setTitle());
  expectRejected([flipByte(op.bytes, offsetOf(op.bytes, 'title'), 0x20)], /bad signature/); // key
  const objAt = offsetOf(op.bytes, 'title') - 2 - 32 - 1; // ref tag 1, op id, index, key length
  expectRejected([flipByte(op.bytes, objAt + 1 + 5)], /bad signature/); // object's op id
});

test('[CORE2][CORE4] 5. tampered sequence is rejected', () => {
  const op = nextAliceOp(setTitle());
  expectRejected([flipByte(op.bytes, 33, 0x04)], /bad signature/);
});

test('[CORE2][CORE5] 6. tampered Lamport is rejected', () => {
  const op = nextAliceOp(setTitle());
  expectRejected([flipByte(op.bytes, 34, 0x10)], /bad signature/);
});

test('[CORE2] 7. tampered dependencies are rejected', () => {
  const op = nextAliceOp(setTitle());
  // prev flag at 35, prev id 36..67, ndeps at 68, first dep at 69.
  expect(op.deps.length).toBeGreaterThan(0);
  expectRejected([flipByte(op.bytes, 40)], /bad signature/); // prev
  expectRejected([flipByte(op.bytes, 69 + 31)], /bad signature|ascending/); // dep
});

test('[CORE4][CORE12] 8. equivocation: both ops apply on every replica and states agree whatever the order', () => {
  const x = nextAliceOp([{ type: 'set', obj: story, key: 'title', value: 'fork A' }]);
  const y = nextAliceOp([{ type: 'set', obj: story, key: 'title', value: 'fork B' }]);
  expect(x.seq).toBe(y.seq);
  expect(x.id).not.toBe(y.id);
  const hashes = new Set<string>();
  for (const order of [[x, y], [y, x]]) {
    const r = replica();
    const res = r.ingest(order.map((o) => o.bytes));
    expect(res.outcomes.map((o) => o.status)).toEqual(['applied', 'applied']);
    hashes.add(r.stateHash());
    const one = replica();
    for (const o of order) one.ingest([o.bytes]);
    hashes.add(one.stateHash());
  }
  expect(hashes.size).toBe(1);
});

test('[CORE7] 9. duplicate replay is reported and changes nothing', () => {
  const r = replica();
  const res = r.ingest([...honest, honest[1]!]);
  expect(res.outcomes.every((o) => o.status === 'duplicate')).toBe(true);
  expect(r.stateHash()).toBe(honestHash);
  expect(r.ops().length).toBe(honest.length);
  const op = nextAliceOp(setTitle());
  const twice = r.ingest([op.bytes, op.bytes]);
  expect(twice.outcomes.map((o) => o.status)).toEqual(['applied', 'duplicate']);
});

test('[CORE7] 10. a flood of ops with missing dependencies stops at the per-author and total caps', () => {
  const r = replica({ perAuthor: 3, total: 5 });
  const missing = (keys: typeof KEYS.mallory, n: number): Uint8Array[] =>
    Array.from({ length: n }, (_, i) => forgeOp(keys, { author: authorOf(keys), seq: 1, lamport: 5, prev: null, deps: [FAKE.slice(0, 62) + i.toString(16).padStart(2, '0')] },
      [{ type: 'set', obj: ROOT, key: `k${i}`, value: i }]));
  const m = r.ingest(missing(KEYS.mallory, 5));
  expect(m.outcomes.map((o) => o.status)).toEqual(['buffered', 'buffered', 'buffered', 'rejected', 'rejected']);
  expect(m.outcomes[3]!.reason).toMatch(/full for this author/);
  const c = r.ingest(missing(KEYS.carol, 3));
  expect(c.outcomes.map((o) => o.status)).toEqual(['buffered', 'buffered', 'rejected']);
  expect(c.outcomes[2]!.reason).toMatch(/buffer full/);
  expect(r.bufferedCount).toBe(5);
  expect(r.stateHash()).toBe(honestHash);
  // An honest op still applies while the buffer is full.
  expect(r.ingest([nextAliceOp(setTitle()).bytes]).outcomes[0]!.status).toBe('applied');
});

test('[CORE11] 11. oversized value, op, action count and dependency count are rejected', () => {
  const header: OpHeader = { author: mallory, seq: 1, lamport: 5, prev: null, deps: [] };
  const max = 'a'.repeat(32 * 1024);
  const ok = encodeBody(header, [{ type: 'set', obj: ROOT, key: 'big', value: max }]);
  const at = offsetOf(ok, 'aaaa') - 3; // varint 32768 = 80 80 02
  expect([...ok.subarray(at, at + 3)]).toEqual([0x80, 0x80, 0x02]);
  const tooLong = splice(ok, at, 3, [0x81, 0x80, 0x02, 0x61]);
  expectRejected([signBody(KEYS.mallory, tooLong)], /exceeds 32768/);
  // A key of 129 bytes.
  const k128 = encodeBody(header, [{ type: 'set', obj: ROOT, key: 'k'.repeat(128), value: 1 }]);
  const kAt = offsetOf(k128, 'kkkk') - 2; // varint 128 = 80 01
  expectRejected([signBody(KEYS.mallory, splice(k128, kAt, 2, [0x81, 0x01, 0x6b]))], /exceeds 128/);
  // A whole op over 64 KiB.
  expectRejected([new Uint8Array(64 * 1024 + 1)], /exceeds 65536/);
  // Action count 1025 and 0, dep count 65 (the counts are read before the items).
  const one = encodeBody(header, [{ type: 'set', obj: ROOT, key: 'x', value: 1 }]);
  expectRejected([signBody(KEYS.mallory, splice(one, 37, 1, [0x81, 0x08]))], /1\.\.1024 actions/);
  expectRejected([signBody(KEYS.mallory, splice(one, 37, 1, [0x00]))], /1\.\.1024 actions/);
  expectRejected([signBody(KEYS.mallory, splice(one, 36, 1, [65]))], /more than 64 deps/);
});

test('[CORE9] 12. a value nested deeper than 16 is rejected; 16 is accepted', () => {
  const nest = (n: number): LocalAction[] => Array.from({ length: n }, (_, i): LocalAction =>
    ({ type: 'set', obj: i === 0 ? ROOT : { self: i - 1 }, key: 'x', value: { make: 'map' } }));
  const header: OpHeader = { author: mallory, seq: 1, lamport: 5, prev: null, deps: [] };
  expectRejected([forgeOp(KEYS.mallory, header, nest(17))], /nesting deeper than 16/);
  const r = replica();
  expect(r.ingest([forgeOp(KEYS.mallory, header, nest(16))]).outcomes[0]!.status).toBe('applied');
});

test('[CORE9] 13. __proto__, constructor and prototype keys are rejected', () => {
  const header: OpHeader = { author: mallory, seq: 1, lamport: 5, prev: null, deps: [] };
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    expectRejected([forgeOp(KEYS.mallory, header, [{ type: 'set', obj: ROOT, key, value: { make: 'map' } }])], /forbidden key/);
  }
  expect(Object.getPrototypeOf(replica().toJson())).toBe(Object.prototype);
});

describe('[CORE3] 14. non-canonical encodings (re-signed, so only the form is wrong)', () => {
  const h1: OpHeader = { author: mallory, seq: 1, lamport: 5, prev: null, deps: [] };
  const base = (actions: LocalAction[], header: OpHeader = h1) => encodeBody(header, actions);
  const setX = (value: LocalAction extends never ? never : unknown): LocalAction[] =>
    [{ type: 'set', obj: ROOT, key: 'x', value: value as never }];
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['non-minimal varint (seq 1 as 81 00)', () => splice(base(setX(1)), 33, 1, [0x81, 0x00]), /non-canonical varint/],
    ['varint longer than 8 bytes', () => splice(base(setX(1)), 34, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /varint too long|too large/],
    ['counter above 2^48', () => splice(base(setX(1)), 34, 1, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), /too large/],
    ['seq 0', () => splice(base(setX(1)), 33, 1, [0x00]), /start at 1/],
    ['unknown format version', () => splice(base(setX(1)), 0, 1, [0x02]), /format version/],
    ['bad prev flag', () => splice(base(setX(1)), 35, 1, [0x02]), /prev flag/],
    ['seq 1 with a prev', () => splice(base(setX(1)), 35, 1, [0x01, ...fromHex(FAKE)!]), /prev must be present exactly/],
    ['unsorted deps', () => {
      const b = base(setX(1), { ...h1, deps: ['11'.repeat(32), '22'.repeat(32)] });
      return splice(b, 37, 64, [...b.subarray(69, 101), ...b.subarray(37, 69)]);
    }, /strictly ascending/],
    ['duplicate deps', () => {
      const b = base(setX(1), { ...h1, deps: ['11'.repeat(32), '22'.repeat(32)] });
      return splice(b, 69, 32, [...b.subarray(37, 69)]);
    }, /strictly ascending/],
    ['deps repeating prev', () => {
      const b = base(setX(1), { ...h1, seq: 2, prev: '11'.repeat(32) });
      return splice(b, 68, 1, [1, ...b.subarray(36, 68)]);
    }, /deps repeat prev/],
    ['trailing bytes', () => Uint8Array.from([...base(setX(1)), 0]), /trailing bytes/],
    ['invalid UTF-8 (0xff)', () => { const b = base(setX('ab')); return splice(b, offsetOf(b, 'ab'), 1, [0xff]); }, /invalid UTF-8/],
    ['overlong UTF-8 (c0 af)', () => { const b = base(setX('ab')); return splice(b, offsetOf(b, 'ab'), 2, [0xc0, 0xaf]); }, /invalid UTF-8/],
    ['UTF-8 surrogate (ed a0 80)', () => { const b = base(setX('abc')); return splice(b, offsetOf(b, 'abc'), 3, [0xed, 0xa0, 0x80]); }, /invalid UTF-8/],
    ['-0', () => { const b = base(setX(0)); return splice(b, b.length - 8, 1, [0x80]); }, /non-canonical number/],
    ['NaN', () => { const b = base(setX(0)); return splice(b, b.length - 8, 2, [0x7f, 0xf8]); }, /non-canonical number/],
    ['Infinity', () => { const b = base(setX(0)); return splice(b, b.length - 8, 2, [0x7f, 0xf0]); }, /non-canonical number/],
    ['unknown value tag', () => { const b = base(setX(null)); return splice(b, b.length - 1, 1, [7]); }, /unknown value tag/],
    ['unknown action tag', () => splice(base(setX(1)), 38, 1, [4]), /unknown action tag/],
    ['unknown ref tag', () => splice(base(setX(1)), 39, 1, [3]), /unknown ref tag/],
    ['self ref to a later action', () => splice(base(setX(1)), 39, 1, [2, 0]), /earlier action/],
  ];
  for (const [name, make, reason] of cases) {
    test(`[CORE3] ${name} is rejected`, () => {
      const frame = signBody(KEYS.mallory, make());
      expect(decodeOp(frame)).toMatchObject({ ok: false });
      expectRejected([frame], reason);
    });
  }
  test('[CORE3] a ref to the own op id by tag 1 (instead of a self ref) cannot be built: the id would change', () => {
    // The decoder also rejects it explicitly ("ref to own id"); a fixed point of SHA-256 is not constructible.
    expect(decodeOp(signBody(KEYS.mallory, base(setX(1)))).ok).toBe(true);
  });
});

test('[CORE7] 15. truncated, garbage and non-byte frames are rejected', () => {
  const op = nextAliceOp(setTitle());
  const frames: unknown[] = [];
  for (const n of [0, 1, 32, 96, 97, op.bytes.length - 65, op.bytes.length - 1]) frames.push(op.bytes.slice(0, n));
  frames.push(new Uint8Array(200).fill(0xff), new Uint8Array(200), 'op', null, undefined, 42, {}, [1, 2, 3], new ArrayBuffer(200));
  expectRejected(frames);
});

test('[CORE5] 16. a Lamport jump past 2^20, or a Lamport not after the dependencies, is rejected', () => {
  const r = replica();
  const maxDep = r.maxLamport;
  const head = (lamport: number): OpHeader => ({ author: mallory, seq: 1, lamport, prev: null, deps: r.heads() });
  const act: LocalAction[] = [{ type: 'set', obj: ROOT, key: 'm', value: 1 }];
  expectRejected([forgeOp(KEYS.mallory, head(maxDep + MAX_LAMPORT_JUMP + 1), act)], /jumps too far/);
  expectRejected([forgeOp(KEYS.mallory, head(maxDep), act)], /not after its dependencies/);
  expect(r.ingest([forgeOp(KEYS.mallory, head(maxDep + MAX_LAMPORT_JUMP), act)]).outcomes[0]!.status).toBe('applied');
});

test("[CORE4] 17. a prev pointing to another author's op is rejected", () => {
  const header: OpHeader = { author: mallory, seq: 2, lamport: 20, prev: aliceLast.id, deps: [] };
  expectRejected([forgeOp(KEYS.mallory, header, [{ type: 'set', obj: ROOT, key: 'm', value: 1 }])], /author's previous op/);
  // The right author but the wrong seq (a gap) is rejected too.
  const gap: OpHeader = { author: alice, seq: aliceLast.seq + 2, lamport: 20, prev: aliceLast.id, deps: [] };
  expectRejected([forgeOp(KEYS.alice, gap, [{ type: 'set', obj: ROOT, key: 'm', value: 1 }])], /author's previous op/);
});

test('[CORE9] 18. a ref outside prev/deps, to the wrong kind, or to an element of another list is rejected', () => {
  const h: OpHeader = { author: mallory, seq: 1, lamport: 20, prev: null, deps: [] };
  expectRejected([forgeOp(KEYS.mallory, h, [{ type: 'set', obj: story, key: 'title', value: 'x' }])], /outside its dependencies/);
  const withDeps = { ...h, deps: [storyOp.id, stories.slice(0, 64)] };
  expectRejected([forgeOp(KEYS.mallory, withDeps, [{ type: 'set', obj: stories, key: 'x', value: 1 }])], /set on a list/);
  expectRejected([forgeOp(KEYS.mallory, withDeps, [{ type: 'ins', obj: story, after: 'head', value: 1 }])], /ins on a map/);
  expectRejected([forgeOp(KEYS.mallory, withDeps, [
    { type: 'set', obj: ROOT, key: 'other', value: { make: 'list' } },
    { type: 'ins', obj: { self: 0 }, after: story, value: 1 },
  ])], /not in that list/);
  expectRejected([forgeOp(KEYS.mallory, withDeps, [{ type: 'del', obj: stories, elem: 'head' }])], /not in that list/);
  expectRejected([forgeOp(KEYS.mallory, withDeps, [{ type: 'set', obj: `${storyOp.id}:9`, key: 'x', value: 1 }])], /unknown container/);
});

describe('[CORE8] 19. an unsigned run followed by a valid op', () => {
  let k: Uint8Array; let k1: Uint8Array;
  beforeAll(() => {
    const copy = replicaOf(honest);
    const a = copy.change(KEYS.alice, [{ type: 'set', obj: story, key: 'title', value: 'k' }]);
    const b = copy.change(KEYS.alice, [{ type: 'set', obj: story, key: 'points', value: 5 }]);
    k = flipByte(a.bytes, a.bytes.length - 1); // the signature of op k is garbage
    k1 = b.bytes;
  });
  test('[CORE8] op k alone is rejected (its own signature fails)', () => {
    expectRejected([k], /bad signature/);
  });
  test('[CORE8] a valid k+1 does not vouch for k: k is rejected and k+1 waits, in one batch and one by one, in every order', () => {
    const results = new Set<string>();
    for (const order of [...permutations([k, k1]), ...permutations([k, k1, k])]) {
      for (const batched of [true, false]) {
        const r = replica();
        const outcomes = batched ? r.ingest(order).outcomes : order.flatMap((f) => r.ingest([f]).outcomes);
        for (const o of outcomes) expect(['rejected', 'buffered', 'duplicate']).toContain(o.status);
        expect(r.bufferedCount).toBe(1);
        expect(r.stateHash()).toBe(honestHash);
        results.add(JSON.stringify(r.dump()));
      }
    }
    expect(results.size).toBe(1);
  });
});

test('[CORE8] 20. regression: a valid op that never applies cannot smuggle in an unsigned prev (no partition)', () => {
  // Mallory signs k+1 (valid signature) naming her unsigned k as prev; k+1
  // waits on a dependency that does not exist. Under the old "coverage" rule R1
  // applied k on k+1's signature, stored and forwarded k alone, and R3 (which
  // checks k's own signature) rejected k and every later op of R1: a partition.
  const h1: OpHeader = { author: mallory, seq: 1, lamport: 10, prev: null, deps: [] };
  const kBody = encodeBody(h1, [{ type: 'set', obj: ROOT, key: 'bait', value: 1 }]);
  const k = Uint8Array.from([...kBody, ...new Uint8Array(64)]); // unsigned
  const kId = (decodeOp(k) as { op: Op }).op.id;
  const k1 = forgeOp(KEYS.mallory, { author: mallory, seq: 2, lamport: 11, prev: kId, deps: [FAKE] },
    [{ type: 'set', obj: ROOT, key: 'x', value: 2 }]);
  const r1 = replica();
  r1.ingest([k, k1]);
  expect(r1.has(kId)).toBe(false);
  r1.change(KEYS.alice, [{ type: 'set', obj: story, key: 'title', value: 'after bait' }]);
  const r3 = replica();
  r3.ingest(framesOf(r1));
  expect(r3.bufferedCount).toBe(0);
  expect(r3.stateHash()).toBe(r1.stateHash());
});

test('[CORE8] 21. a bad-signature copy of a valid op in the same batch does not shadow the valid copy', () => {
  const op = nextAliceOp(setTitle());
  const bad = flipByte(op.bytes, op.bytes.length - 5);
  const r = replica();
  const res = r.ingest([bad, op.bytes, bad]);
  expect(res.outcomes.map((o) => o.status)).toEqual(['rejected', 'applied', 'duplicate']);
  expect(r.has(op.id)).toBe(true);
});

test('[CORE7] attacks never throw, even mixed into one batch with honest ops', () => {
  const r = new Document({ bufferLimits: { perAuthor: 2, total: 4 } });
  const op = nextAliceOp(setTitle());
  const junk: unknown[] = [new Uint8Array(5), flipByte(op.bytes, 3), null, 'x', op.bytes.slice(0, 100)];
  expect(() => r.ingest([...junk, ...honest, op.bytes, ...junk])).not.toThrow();
  expect(r.has(op.id)).toBe(true);
  void bodyOf;
});

/** Ingests frames as a replica does (REPL17): seals first (each verified once), then the ops, those a verified seal by their author lists without their own check. */
function ingestSealed(r: Document, frames: readonly Uint8Array[]): IngestResult {
  const book = new SealBook();
  for (const f of frames.filter(isSealFrame)) {
    const d = decodeSeal(f);
    if (d.ok && verifySeal(d.seal)) book.add(d.seal);
  }
  const session = r.beginIngest(frames.filter((f) => !isSealFrame(f)));
  session.acceptSealed((op) => book.sealOf(op.id, op.author) !== undefined);
  while (session.pending) session.resolve(nobleVerifyBatch(session.requests()));
  return session.finish();
}

test('[CORE18] 22. a forged seal, or a valid seal by another key listing alice\'s ops, covers nothing', () => {
  const op = nextAliceOp(setTitle());
  const bad = flipByte(op.bytes, op.bytes.length - 5);
  const aliceSeal = sealWith(KEYS.alice, [op.id]);
  const forged = flipByte(aliceSeal, aliceSeal.length - 3);
  const byMallory = sealWith(KEYS.mallory, [op.id]);
  for (const seal of [forged, byMallory]) {
    const r = replica();
    const res = ingestSealed(r, [seal, bad]);
    expect(res.outcomes[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/bad signature/) });
    expect(r.stateHash()).toBe(honestHash);
  }
});

test('[CORE18] 23. a sealed op whose own signature is bad is accepted with its author\'s seal, on every replica, in any order; alone it is rejected', () => {
  const op = nextAliceOp(setTitle());
  const bad = flipByte(op.bytes, op.bytes.length - 5);
  const seal = sealWith(KEYS.alice, [op.id]);
  expectRejected([bad], /bad signature/);
  const hashes = new Set<string>();
  for (const order of permutations([seal, bad])) {
    const r = replica();
    const res = ingestSealed(r, order);
    expect(res.applied.map((o) => o.id)).toEqual([op.id]);
    hashes.add(r.stateHash());
  }
  const direct = replica();
  direct.ingest([op.bytes]);
  expect([...hashes]).toEqual([direct.stateHash()]); // the same op, whichever way it was proven
});

test('[CORE18] 24. malformed seals are refused with a reason, never thrown', () => {
  const seal = sealWith(KEYS.alice, [aliceLast.id, FAKE]);
  const twice = seal.slice(); twice.set(twice.subarray(34, 66), 66); // the second id replaced by the first
  const junk: unknown[] = [seal.slice(0, 30), new Uint8Array([SEAL_TAG]), splice(seal, 33, 1, [0]), twice, new Uint8Array([...seal, 1]), 'seal', null];
  for (const f of junk) {
    const d = decodeSeal(f);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(/^seal: /);
  }
});
