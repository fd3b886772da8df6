import { describe, expect, test } from 'vitest';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8Encode } from './bytes';
import { sha256 } from './hash';

// A seeded generator: lengths and bytes are the same on every run.
function bytesFrom(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 255; }
  return out;
}

describe('sha256', () => {
  test('[CORE2] the FIPS 180-4 examples', () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256(utf8Encode('abc')!))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(utf8Encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')!)))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('[CORE2] agrees with @noble/hashes at every length around the block and padding edges, and on large input', () => {
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 447, 448, 511, 512, 1000, 4096, 65_536, 70_001];
    for (const n of lengths) {
      const b = bytesFrom(n + 1, n);
      expect(toHex(sha256(b)), `length ${n}`).toBe(toHex(nobleSha256(b)));
    }
  });

  test('[CORE2] hashes a view over a larger buffer by its own bytes only', () => {
    const big = bytesFrom(7, 300);
    const view = big.subarray(10, 210);
    expect(toHex(sha256(view))).toBe(toHex(nobleSha256(big.slice(10, 210))));
  });
});
