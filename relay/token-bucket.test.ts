// Token bucket with an injected clock (RELAY8).
import { expect, test } from 'vitest';
import { createTokenBucket } from './token-bucket';

test('[RELAY8] the bucket serves the burst, then refills at the rate, capped at the burst', () => {
  let t = 0;
  const bucket = createTokenBucket(50, 100, () => t);
  for (let i = 0; i < 100; i++) expect(bucket.take()).toBe(true);
  expect(bucket.take()).toBe(false);
  t += 100; // 100 ms at 50/s = 5 tokens
  for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
  expect(bucket.take()).toBe(false);
  t += 1_000_000;
  let served = 0;
  while (bucket.take()) served++;
  expect(served).toBe(100);
});

test('[RELAY8] a clock stepping backwards mints no tokens', () => {
  let t = 1000;
  const bucket = createTokenBucket(10, 1, () => t);
  expect(bucket.take()).toBe(true);
  t = 0;
  expect(bucket.take()).toBe(false);
  t = 50;
  expect(bucket.take()).toBe(false);
  t = 100;
  expect(bucket.take()).toBe(true);
});
