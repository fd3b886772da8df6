import { describe, expect, test } from 'vitest';
import { compareRanked, isRank, rankBetween } from './rank.js';

describe('rank', () => {
  test('[PIPE5] rankBetween is strictly between, deterministic, valid', () => {
    let seed = 7;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const ranks = [rankBetween()];
    for (let i = 0; i < 2000; i++) {
      const at = Math.floor(rnd() * (ranks.length + 1));
      const r = rankBetween(ranks[at - 1], ranks[at]);
      expect(isRank(r)).toBe(true);
      if (at > 0) expect(r > ranks[at - 1]!).toBe(true);
      if (at < ranks.length) expect(r < ranks[at]!).toBe(true);
      expect(rankBetween(ranks[at - 1], ranks[at])).toBe(r);
      ranks.splice(at, 0, r);
    }
    expect(Math.max(...ranks.map((r) => r.length))).toBeLessThan(40);
  });

  test('[PIPE5] appends and prepends grow slowly', () => {
    let r = rankBetween();
    for (let i = 0; i < 1000; i++) { const n = rankBetween(r, undefined); expect(n > r).toBe(true); r = n; }
    expect(r.length).toBeLessThanOrEqual(40);
    let p = rankBetween();
    for (let i = 0; i < 1000; i++) { const n = rankBetween(undefined, p); expect(n < p && isRank(n)).toBe(true); p = n; }
  });

  test('[PIPE5] invalid or equal neighbours are a RangeError', () => {
    expect(() => rankBetween('a', 'a')).toThrow(RangeError);
    expect(() => rankBetween('b', 'a')).toThrow(RangeError);
    expect(() => rankBetween('a0')).toThrow(RangeError);
    expect(() => rankBetween('a!')).toThrow(RangeError);
  });

  test('[PIPE5] equal ranks are ordered by story id, then element', () => {
    const xs = [{ rank: 'V', id: 'S-b', elem: '1' }, { rank: 'V', id: 'S-a', elem: '2' }, { rank: 'U', id: 'S-z', elem: '3' }];
    expect(xs.sort(compareRanked).map((x) => x.id)).toEqual(['S-z', 'S-a', 'S-b']);
  });
});
