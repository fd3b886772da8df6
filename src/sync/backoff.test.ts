import { expect, test } from 'vitest';
import { Prng } from '../../tests/support/prng';
import { Backoff, backoffDelay } from './backoff';

test('[SYNC15] the delay doubles from 1 s to a 30 s cap, jittered within [ceiling/2, ceiling]', () => {
  const ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
  ceilings.forEach((c, attempt) => {
    expect(backoffDelay(attempt, () => 0)).toBe(c / 2);
    expect(backoffDelay(attempt, () => 0.999999)).toBeLessThanOrEqual(c);
    expect(backoffDelay(attempt, () => 0.999999)).toBeGreaterThan(c * 0.99);
  });
  expect(backoffDelay(1000, () => 0.5)).toBe(22500);
});

test('[SYNC15] seeded jitter is deterministic, a broken rng is tolerated, misuse throws', () => {
  const a = new Backoff(() => new Prng(7).float());
  const rng = new Prng(7);
  const b = new Backoff(() => rng.float());
  const rng2 = new Prng(7);
  const c = new Backoff(() => rng2.float());
  const xs = Array.from({ length: 8 }, () => b.next());
  expect(Array.from({ length: 8 }, () => c.next())).toEqual(xs);
  expect(a.next()).toBeGreaterThanOrEqual(500);
  b.reset();
  expect(b.attempts).toBe(0);
  expect(backoffDelay(3, () => NaN)).toBe(4000);
  expect(() => backoffDelay(-1, () => 0)).toThrow(RangeError);
});
