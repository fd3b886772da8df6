// Unit tests of the RGA list (CORE6, CORE10): convergent order for concurrent
// inserts and permanent tombstones.
import { expect, test } from 'vitest';
import { ListElement, RgaList } from './list.js';
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

test('[CORE16] a restored list finds its elements by walking first, then by its index, and behaves as the list it restores', () => {
  const op = (n: number) => n.toString(16).padStart(64, '0');
  const stamp = (n: number): Stamp => ({ lamport: n, author: 'a'.repeat(64), op: op(n), index: n % 3 });
  const id = (n: number) => `${op(n)}:${n % 3}`;
  const built = new RgaList();
  for (let n = 1; n <= 40; n++) built.insert(n === 1 ? undefined : id(n - 1), id(n), stamp(n), n);
  for (const n of [5, 6, 7]) built.delete(id(n));
  const restored = new RgaList();
  restored.restore([...built.all()].map((el) => Object.assign(new ListElement(undefined, el, el.value, undefined), { deleted: el.deleted })));
  expect([...restored.all()].map((el) => el.id)).toEqual([...built.all()].map((el) => el.id));
  expect([restored.length, restored.tombstones]).toEqual([37, 3]);
  // More lookups than LIST_SCANS: the first ones walk the list, the rest use the index built then.
  for (let n = 0; n <= 42; n++) {
    for (const probe of [id(n), `${op(n)}:${(n % 3) + 1}`, 'head', 'x']) {
      expect(restored.get(probe)?.id, probe).toBe(built.get(probe)?.id);
      expect(restored.has(probe), probe).toBe(built.has(probe));
    }
    expect(restored.get(id(n))?.value, id(n)).toBe(built.get(id(n))?.value);
  }
  for (const l of [built, restored]) { l.insert(id(40), id(41), stamp(41), 41); l.delete(id(10)); }
  expect([...restored.all()].map((el) => [el.id, el.deleted])).toEqual([...built.all()].map((el) => [el.id, el.deleted]));
  expect([restored.length, restored.tombstones]).toEqual([built.length, built.tombstones]);
});
