// Unit tests of the RGA list (CORE6, CORE10): convergent order for concurrent
// inserts and permanent tombstones.
import { expect, test } from 'vitest';
import { RgaList } from './list.js';
import type { Stamp } from './stamp.js';

const st = (lamport: number, author: string): Stamp => ({ lamport, author, op: author + lamport, index: 0 });
type Ins = [after: string | undefined, id: string, stamp: Stamp];

function build(inserts: Ins[]): string[] {
  const l = new RgaList();
  for (const [after, id, stamp] of inserts) l.insert(after, id, stamp, id);
  return [...l.all()].map((e) => e.id);
}

test('[CORE6] concurrent inserts at the same place converge in every causal delivery order', () => {
  const a: Ins = [undefined, 'A', st(1, 'x')];
  const b: Ins = [undefined, 'B', st(2, 'y')];
  const c: Ins = [undefined, 'C', st(2, 'z')];
  const d: Ins = ['A', 'D', st(3, 'x')]; // after A, causally after A only
  const e: Ins = ['B', 'E', st(3, 'y')];
  const orders = [[a, b, c, d, e], [c, b, a, e, d], [b, e, c, a, d], [a, d, c, b, e]];
  const results = orders.map(build);
  for (const r of results) expect(r).toEqual(results[0]);
  expect(results[0]).toEqual(['C', 'B', 'E', 'A', 'D']);
});

test('[CORE10] delete is a permanent tombstone and an anchor for later inserts', () => {
  const l = new RgaList();
  l.insert(undefined, 'A', st(1, 'x'), 'a');
  l.insert('A', 'B', st(2, 'x'), 'b');
  expect(l.delete('A')).toBe(true);
  expect(l.delete('A')).toBe(false);
  l.insert('A', 'C', st(3, 'x'), 'c');
  expect([...l.visible()].map((e) => e.id)).toEqual(['C', 'B']);
  expect(l.length).toBe(2);
  expect(l.tombstones).toBe(1);
  expect(l.has('A') && l.get('A')!.deleted).toBe(true);
});
