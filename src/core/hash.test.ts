import { describe, expect, test } from 'vitest';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8Encode } from './bytes';
import { Sha256, sha256 } from './hash';
import { Document } from './document';
import { HEAD } from './op';
import { keyPairFromSeed } from './sign';

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

describe('Sha256 in parts', () => {
  test('[CORE2] gives the one-shot digest however the message is cut', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 70_001]) {
      const b = bytesFrom(n + 7, n);
      for (const step of [1, 3, 63, 64, 65, 200, 100_000]) {
        const h = new Sha256();
        for (let at = 0; at < n; at += step) h.update(b.subarray(at, at + step));
        expect(toHex(h.digest()), `length ${n}, parts of ${step}`).toBe(toHex(sha256(b)));
      }
    }
  });
});

describe('state hash', () => {
  test('[CORE12] hashed as it is written, it is the hash of the whole canonical encoding (non-ASCII and astral text, past one 64K part)', () => {
    const keys = keyPairFromSeed(new Uint8Array(32).fill(3));
    const doc = new Document();
    doc.change(keys, [{ type: 'set', obj: 'root', key: 'list', value: { make: 'list' } }]);
    const list = `${doc.log()[0]!.id}:0`;
    for (let i = 0; i < 120; i++) {
      doc.change(keys, [
        { type: 'ins', obj: list, after: HEAD, value: { make: 'map' } },
        { type: 'set', obj: { self: 0 }, key: 'title', value: `story ${i} — émoji 🐺 ${'x'.repeat(600)}` },
        { type: 'set', obj: { self: 0 }, key: 'n', value: i * 1.5 },
      ]);
    }
    expect(doc.state.encodeState().length).toBeGreaterThan(65_536);
    expect(doc.stateHash()).toBe(toHex(sha256(doc.state.encodeState())));
  });
});
