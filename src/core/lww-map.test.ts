// Unit tests of the LWW map (CORE5): the greatest (lamport, author, op, index) wins whatever the order.
import { expect, test } from 'vitest';
import { LwwMap } from './lww-map.js';
import type { Stamp } from './stamp.js';

const st = (lamport: number, author: string, op = 'o', index = 0): Stamp => ({ lamport, author, op, index });

test('[CORE5] higher Lamport wins regardless of arrival order', () => {
  for (const order of [[0, 1], [1, 0]]) {
    const m = new LwwMap();
    const writes = [['old', st(1, 'b')], ['new', st(2, 'a')]] as const;
    for (const i of order) m.set('k', writes[i]![0], writes[i]![1]);
    expect(m.get('k')!.value).toBe('new');
  }
});

test('[CORE5] ties break by author, then op id, then action index', () => {
  const m = new LwwMap();
  expect(m.set('k', 1, st(5, 'a', 'z', 9))).toBe(true);
  expect(m.set('k', 2, st(5, 'b', 'a', 0))).toBe(true);
  expect(m.set('k', 3, st(5, 'b', 'a', 0))).toBe(false); // the same stamp is not newer
  expect(m.set('k', 4, st(5, 'b', 'b', 0))).toBe(true);
  expect(m.set('k', 5, st(5, 'b', 'b', 1))).toBe(true);
  expect(m.set('k', 6, st(4, 'z', 'z', 9))).toBe(false);
  expect(m.get('k')!.value).toBe(5);
});
