// Unit tests of the dependency buffer (CORE7): caps per author and in total,
// release when the last missing dependency arrives.
import { expect, test } from 'vitest';
import { DependencyBuffer } from './buffer.js';
import type { Op } from './op.js';

const id = (n: number) => n.toString(16).padStart(64, '0');
const op = (n: number, author: string): Op =>
  ({ id: id(n), author, seq: 1, lamport: 1, prev: null, deps: [], actions: [], sig: new Uint8Array(64), bytes: new Uint8Array() });
const A = 'aa'.repeat(32); const B = 'bb'.repeat(32);

test('[CORE7] per-author and total caps give a reason, not a throw', () => {
  const buf = new DependencyBuffer({ perAuthor: 2, total: 3 });
  expect(buf.add(op(1, A), [id(100)])).toBeUndefined();
  expect(buf.add(op(2, A), [id(100)])).toBeUndefined();
  expect(buf.add(op(3, A), [id(100)])).toMatch(/for this author/);
  expect(buf.add(op(4, B), [id(100)])).toBeUndefined();
  expect(buf.add(op(5, B), [id(100)])).toMatch(/buffer full/);
  expect(buf.size).toBe(3);
});

test('[CORE7] an op is released only when its last missing dependency arrives', () => {
  const buf = new DependencyBuffer();
  buf.add(op(1, A), [id(100), id(101)]);
  buf.add(op(2, B), [id(100)]);
  expect(buf.release(id(100)).map((o) => o.id)).toEqual([id(2)]);
  expect(buf.has(id(1))).toBe(true);
  expect(buf.missing()).toEqual([id(101)]);
  expect(buf.release(id(101)).map((o) => o.id)).toEqual([id(1)]);
  expect(buf.size).toBe(0);
  expect(buf.release(id(999))).toEqual([]);
});

test('[CORE15] list() reports what each buffered op lacks, ops() keeps arrival order', () => {
  const buf = new DependencyBuffer();
  buf.add(op(7, A), [id(100)]);
  buf.add(op(3, B), [id(101)]);
  expect(buf.list()).toEqual([{ id: id(7), author: A, seq: 1, missing: [id(100)] }, { id: id(3), author: B, seq: 1, missing: [id(101)] }]);
  expect(buf.ops().map((o) => o.id)).toEqual([id(7), id(3)]);
});
