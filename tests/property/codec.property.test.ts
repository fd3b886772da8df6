// Property tests of the canonical codec (CORE3, CORE7): decoding random and
// mutated bytes never throws and ends; anything that does decode re-encodes to
// exactly the same body (one encoding per op); random valid ops round-trip.
// Fixed seeds; HUSKIES_EXTENSIVE=1 runs many more cases.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  HEAD, ROOT, decodeOp, encodeBody, fromHex, joinSigned, toHex, utf8Encode,
  type LocalAction, type LocalRef, type OpHeader, type Value,
} from '../../src/core/index.js';
import { EXTENSIVE } from '../support/core-fixtures.js';
import { mutate, mutations, toLocal } from './mutations.js';

const runs = (quick: number): number => (EXTENSIVE ? quick * 50 : quick);
const vectors = (JSON.parse(readFileSync(new URL('../vectors/ops.json', import.meta.url), 'utf8')) as { ops: { body: string; sig: string }[] })
  .ops.map((v) => fromHex(v.body + v.sig)!);

/** Asserts the decoder's verdict is total and canonical: ok ⇒ re-encoding gives the same body. */
function checkDecode(bytes: Uint8Array): void {
  const d = decodeOp(bytes);
  if (!d.ok) { expect(typeof d.reason).toBe('string'); return; }
  const body = encodeBody(d.op, toLocal(d.op));
  expect(toHex(body)).toBe(toHex(bytes.subarray(0, bytes.length - 64)));
}

test('[CORE7][CORE3] decoding random bytes never throws; what decodes is canonical', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => { checkDecode(b); }), { seed: 42, numRuns: runs(500) });
});

test('[CORE7][CORE3] decoding mutated valid ops (bit flips, truncations, splices) never throws; what decodes is canonical', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: vectors.length - 1 }), mutations, (i, ms) => {
    checkDecode(mutate(vectors[i]!, ms));
  }), { seed: 42, numRuns: runs(1000) });
});

test('[CORE7] decoding non-byte values never throws', () => {
  fc.assert(fc.property(fc.anything(), (x) => { expect(decodeOp(x).ok).toBe(false); }), { seed: 42, numRuns: runs(200) });
});

// ---- random valid ops ----

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const text = (maxBytes: number) => fc.string({ unit: 'binary', maxLength: 40 })
  .filter((s) => { const u = utf8Encode(s); return u !== undefined && u.length <= maxBytes; });
const value: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null), fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
  text(32 * 1024),
  fc.constantFrom({ make: 'map' as const }, { make: 'list' as const }),
);
const refPick = fc.oneof(fc.constant({ t: 'zero' as const }), fc.record({ t: fc.constant('other' as const), id: hexId, index: fc.nat(1 << 20) }), fc.record({ t: fc.constant('self' as const), n: fc.nat() }));
const actionPick = fc.record({ type: fc.constantFrom('set', 'ins', 'del'), a: refPick, b: refPick, key: text(128), value });

const validOp = fc.record({
  author: hexId,
  seq: fc.integer({ min: 1, max: 2 ** 48 }),
  lamport: fc.integer({ min: 1, max: 2 ** 48 }),
  prev: hexId,
  deps: fc.uniqueArray(hexId, { maxLength: 5 }),
  picks: fc.array(actionPick, { minLength: 1, maxLength: 8 }),
}).map(({ author, seq, lamport, prev, deps, picks }) => {
  const header: OpHeader = { author, seq, lamport, prev: seq === 1 ? null : prev, deps: deps.filter((d) => d !== prev).sort() };
  const actions = picks.map((p, i): LocalAction => {
    const ref = (r: typeof p.a, zero: string): LocalRef =>
      r.t === 'other' ? `${r.id}:${r.index}` : r.t === 'self' && i > 0 ? { self: r.n % i } : zero;
    return p.type === 'set' ? { type: 'set', obj: ref(p.a, ROOT), key: p.key, value: p.value }
      : p.type === 'ins' ? { type: 'ins', obj: ref(p.a, ROOT), after: ref(p.b, HEAD), value: p.value }
        : { type: 'del', obj: ref(p.a, ROOT), elem: ref(p.b, HEAD) };
  });
  return { header, actions };
});

test('[CORE3] encode → decode round-trips random valid ops, and re-encoding is byte-identical', () => {
  fc.assert(fc.property(validOp, ({ header, actions }) => {
    const body = encodeBody(header, actions);
    const d = decodeOp(joinSigned(body, new Uint8Array(64).fill(7)));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect({ author: d.op.author, seq: d.op.seq, lamport: d.op.lamport, prev: d.op.prev, deps: [...d.op.deps] }).toEqual(header);
    expect(toLocal(d.op)).toEqual(actions);
    expect(toHex(encodeBody(d.op, toLocal(d.op)))).toBe(toHex(body));
  }), { seed: 42, numRuns: runs(300) });
});
