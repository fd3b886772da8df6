// A restored prefix's op ids are found by position (CORE16): every id of the
// prefix, nothing else — also among ids that share their leading digits.
import { describe, expect, test } from 'vitest';
import { PrefixIds, lead36Bytes, scanPrefix } from './prefix-ids.js';
import { Prng } from '../../tests/support/prng.js';

const hex = (rng: Prng, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rng.int(16)]).join('');

describe('[CORE16] prefix ids', () => {
  test('finds each id at its position; absent and malformed ids are not found', () => {
    const rng = new Prng(7);
    const entries = Array.from({ length: 5_000 }, () => ({ id: hex(rng, 64) }));
    const ids = new PrefixIds(entries, entries.length);
    entries.forEach((e, i) => expect(ids.find(e.id)).toBe(i));
    for (let i = 0; i < 200; i++) expect(ids.find(hex(rng, 64))).toBeUndefined();
    for (const bad of ['', 'xyz', 'ZZZZZZZZZZ', entries[3]!.id.toUpperCase(), entries[3]!.id.slice(0, 63), `${entries[3]!.id}:0`]) expect(ids.find(bad)).toBeUndefined();
  });

  test('ids that share their first 9 digits are told apart; only the first `count` entries are indexed', () => {
    const rng = new Prng(8);
    const lead = hex(rng, 12);
    const entries = Array.from({ length: 300 }, (_, i) => ({ id: i % 2 ? lead + hex(rng, 52) : hex(rng, 64) }));
    const ids = new PrefixIds(entries, 200);
    entries.forEach((e, i) => expect(ids.find(e.id)).toBe(i < 200 ? i : undefined));
  });

  test('leading digits read from the id table bytes give the same table', () => {
    const rng = new Prng(10);
    const entries = Array.from({ length: 3_000 }, () => ({ id: hex(rng, 64) }));
    const bytes = new TextEncoder().encode(entries.map((e) => e.id).join(''));
    const leads = Float64Array.from(entries, (_, i) => lead36Bytes(bytes, i * 64));
    const ids = new PrefixIds(entries, entries.length, leads);
    entries.forEach((e, i) => expect(ids.find(e.id)).toBe(i));
    expect(ids.find(hex(rng, 64))).toBeUndefined();
  });

  test('a scan (the first lookups after a restore) answers as the table does, with or without leading digits from bytes', () => {
    const rng = new Prng(12);
    const lead = hex(rng, 12);
    const entries = Array.from({ length: 2_000 }, (_, i) => ({ id: i % 3 ? hex(rng, 64) : lead + hex(rng, 52) }));
    const bytes = new TextEncoder().encode(entries.map((e) => e.id).join(''));
    const leads = Float64Array.from(entries, (_, i) => lead36Bytes(bytes, i * 64));
    const table = new PrefixIds(entries, 1_500);
    const probes = [...entries.map((e) => e.id), hex(rng, 64), lead + hex(rng, 52), '', 'xyz'];
    for (const id of probes) {
      expect(scanPrefix(entries, 1_500, leads, id), id).toBe(table.find(id));
      expect(scanPrefix(entries, 1_500, undefined, id), id).toBe(table.find(id));
    }
  });

  test('long prefixes keep exact positions (more position bits, fewer lead bits)', () => {
    const rng = new Prng(9);
    const n = 140_000;
    const entries = Array.from({ length: n }, () => ({ id: hex(rng, 64) }));
    const ids = new PrefixIds(entries, n);
    for (let k = 0; k < 2_000; k++) { const i = rng.int(n); expect(ids.find(entries[i]!.id)).toBe(i); }
    expect(ids.find(entries[n - 1]!.id)).toBe(n - 1);
  });
});
