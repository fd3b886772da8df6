// Helpers for the property tests: byte mutations (bit flips, byte writes,
// truncations, splices) as fast-check arbitraries, and the local (self-ref)
// form of a decoded op, used to re-encode it and check canonicality (CORE3).
import fc from 'fast-check';
import { HEAD, ROOT, parseObjId, type LocalAction, type LocalRef, type Op } from '../../src/core/index.js';

/** The local form of a decoded op's actions: refs into the op itself become self refs. */
export function toLocal(op: Op): LocalAction[] {
  const ref = (r: string, zero: string): LocalRef => {
    if (r === zero) return r;
    const p = parseObjId(r);
    return p && p.op === op.id ? { self: p.index } : r;
  };
  return op.actions.map((a): LocalAction => a.type === 'set' ? { type: 'set', obj: ref(a.obj, ROOT), key: a.key, value: a.value }
    : a.type === 'ins' ? { type: 'ins', obj: ref(a.obj, ROOT), after: ref(a.after, HEAD), value: a.value }
      : { type: 'del', obj: ref(a.obj, ROOT), elem: ref(a.elem, HEAD) });
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), del: fc.integer({ min: 0, max: 4 }), ins: fc.uint8Array({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

export function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip') { if (b.length) b[at] = b[at]! ^ (1 << m.bit); }
    else if (m.kind === 'byte') { if (b.length) b[at] = m.value; }
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else b = Uint8Array.from([...b.subarray(0, at), ...m.ins, ...b.subarray(at + m.del)]);
  }
  return b;
}
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

