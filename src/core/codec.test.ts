// Unit tests of the canonical codec (CORE2, CORE3, CORE11): what the encoder
// refuses to build, and that the decoder accepts exactly what it builds.
import { describe, expect, test } from 'vitest';
import { decodeOp, encodeBody, EncodeError, joinSigned } from './codec.js';
import { Document } from './document.js';
import { keyPairFromSeed } from './sign.js';
import { HEAD, LIMITS, ROOT, type OpHeader } from './op.js';
import { DocState } from './state.js';

const A = 'aa'.repeat(32);
const h: OpHeader = { author: A, seq: 1, lamport: 1, prev: null, deps: [] };
const set = (value: unknown) => [{ type: 'set' as const, obj: ROOT, key: 'k', value: value as null }];

describe('encodeBody', () => {
  test('[CORE4] prev must be null exactly when seq is 1', () => {
    expect(() => encodeBody({ ...h, prev: A }, set(1))).toThrow(EncodeError);
    expect(() => encodeBody({ ...h, seq: 2 }, set(1))).toThrow(EncodeError);
  });
  test('[CORE3] -0 is written as 0; NaN, Infinity and lone surrogates are misuse', () => {
    expect(encodeBody(h, set(-0))).toEqual(encodeBody(h, set(0)));
    for (const v of [NaN, Infinity, -Infinity, '\ud800', undefined, { make: 'set' }]) expect(() => encodeBody(h, set(v))).toThrow(TypeError);
  });
  test('[CORE3] deps are deduplicated, stripped of prev and sorted', () => {
    const d1 = '11'.repeat(32); const d2 = '22'.repeat(32);
    const a = encodeBody({ ...h, seq: 2, prev: d1, deps: [d2, d1, d2] }, set(1));
    const b = encodeBody({ ...h, seq: 2, prev: d1, deps: [d2] }, set(1));
    expect(a).toEqual(b);
  });
  test('[CORE11] counts and sizes outside the caps are refused', () => {
    expect(() => encodeBody(h, [])).toThrow(RangeError);
    expect(() => encodeBody(h, Array.from({ length: 1025 }, () => set(1)[0]!))).toThrow(RangeError);
    expect(() => encodeBody({ ...h, deps: Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(64, '0')) }, set(1))).toThrow(RangeError);
    expect(() => encodeBody(h, [{ type: 'set', obj: ROOT, key: 'k'.repeat(129), value: 1 }])).toThrow(RangeError);
    expect(() => encodeBody(h, set('x'.repeat(32 * 1024 + 1)))).toThrow(RangeError);
    expect(() => encodeBody({ ...h, lamport: 0 }, set(1))).toThrow(RangeError);
    expect(() => encodeBody({ ...h, seq: 2 ** 48 + 1, prev: A }, set(1))).toThrow(RangeError);
  });
  test('[CORE11] a body whose signed op would exceed 64 KiB is refused (regression: it was built, then rejected by every decoder)', () => {
    const big = 'a'.repeat(LIMITS.maxStringBytes);
    expect(() => encodeBody(h, [0, 1].map((i) => ({ type: 'set' as const, obj: ROOT, key: `k${i}`, value: big })))).toThrow(RangeError);
    const doc = new Document();
    const keys = keyPairFromSeed(new Uint8Array(32).fill(5));
    expect(() => doc.change(keys, [0, 1].map((i) => ({ type: 'set' as const, obj: ROOT, key: `k${i}`, value: big })))).toThrow(RangeError);
    expect(doc.ops().length).toBe(0);
    // The author is not left with a stuck pending op, and a near-limit op still round-trips.
    const op = doc.change(keys, [{ type: 'set', obj: ROOT, key: 'k', value: big }]);
    expect(decodeOp(op.bytes).ok).toBe(true);
  });
  test('[CORE2] joinSigned needs a 64-byte signature', () => {
    expect(() => joinSigned(encodeBody(h, set(1)), new Uint8Array(63))).toThrow(RangeError);
  });
});

describe('decodeOp', () => {
  test('[CORE2] the op id is the SHA-256 of the body; the signature is the last 64 bytes', () => {
    const body = encodeBody(h, set('v'));
    const d = decodeOp(joinSigned(body, new Uint8Array(64).fill(9)));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.op.sig).toEqual(new Uint8Array(64).fill(9));
    expect(d.op.actions).toEqual([{ type: 'set', obj: ROOT, key: 'k', value: 'v' }]);
  });
  test('[CORE9] references to the op itself, its prev or a dep mark it refsCausal; one to any other op does not, and the state check refuses it', () => {
    const P = '11'.repeat(32), D = '22'.repeat(32), X = '33'.repeat(32);
    const header: OpHeader = { author: A, seq: 2, lamport: 5, prev: P, deps: [D] };
    const decode = (actions: Parameters<typeof encodeBody>[1]) => {
      const d = decodeOp(joinSigned(encodeBody(header, actions), new Uint8Array(64)));
      if (!d.ok) throw new Error(d.reason);
      return d.op;
    };
    const inside = decode([
      { type: 'set', obj: ROOT, key: 'm', value: { make: 'list' } },
      { type: 'ins', obj: { self: 0 }, after: HEAD, value: 1 },
      { type: 'set', obj: `${P}:0`, key: 'k', value: 1 },
      { type: 'del', obj: `${D}:3`, elem: `${P}:1` },
    ]);
    expect(inside.refsCausal).toBe(true);
    expect(inside.actions[2]).toEqual({ type: 'set', obj: `${P}:0`, key: 'k', value: 1 });
    expect(inside.actions[3]).toEqual({ type: 'del', obj: `${D}:3`, elem: `${P}:1` });
    const outside = decode([{ type: 'set', obj: ROOT, key: 'a', value: 1 }, { type: 'ins', obj: `${D}:0`, after: `${X}:2`, value: 1 }]);
    expect(outside.refsCausal).toBe(false);
    expect(outside.actions[1]).toEqual({ type: 'ins', obj: `${D}:0`, after: `${X}:2`, value: 1 });
    expect(new DocState().check(outside)).toMatch(/outside its dependencies/);
  });
  test('[CORE7] never throws on non-bytes or short input', () => {
    for (const x of [undefined, null, 1, 'x', [], {}, new Uint8Array(0), new Uint8Array(96)]) {
      const d = decodeOp(x);
      expect(d.ok).toBe(false);
    }
  });
});
