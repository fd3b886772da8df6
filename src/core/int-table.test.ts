// The snapshot scan's integer table (CORE16): every key found with its value,
// repeats refused, absent keys not found — across growth and keys past 2^32.
import { describe, expect, test } from 'vitest';
import { IntTable } from './int-table.js';
import { Prng } from '../../tests/support/prng.js';

describe('[CORE16] IntTable', () => {
  test('finds what was added, refuses a repeated key, and grows past the expected size', () => {
    const rng = new Prng(3);
    const t = new IntTable(4);
    const added = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      // Snapshot-like keys ((position + 1) × 1024 + index), some far past 2^32, and repeats.
      const key = i % 5 === 0 ? 2 ** 40 + rng.int(1_000_000) * 1024 : (rng.int(200_000) + 1) * 1024 + rng.int(1024);
      const value = rng.int(2 ** 31 - 1);
      expect(t.add(key, value)).toBe(!added.has(key));
      if (!added.has(key)) added.set(key, value);
    }
    expect(t.size).toBe(added.size);
    for (const [k, v] of added) expect(t.get(k)).toBe(v);
    for (const k of [0, 1, 1023, 2 ** 40 + 1, 2 ** 52 + 7]) if (!added.has(k)) expect(t.get(k)).toBeUndefined();
  });

  test('zero is a key like any other', () => {
    const t = new IntTable();
    expect(t.get(0)).toBeUndefined();
    expect(t.add(0, 5)).toBe(true);
    expect(t.add(0, 6)).toBe(false);
    expect(t.get(0)).toBe(5);
  });
});
