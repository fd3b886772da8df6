// The capped raw-DEFLATE decoder (SYNC19): what zlib and CompressionStream encode, it
// decodes byte for byte; a bomb stops at the cap; hostile bytes get a reason.
import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { seededBytes } from '../../tests/support/manual-clock.js';
import { inflateRaw } from './inflate.js';

/** Text-like input: words from a small vocabulary with random bytes between, as a board's ops are. */
function sample(seed: number, size: number): Uint8Array {
  const random = seededBytes(seed);
  const words = ['title', 'description', 'stage', 'backlog', 'criteria', 'done', 'updatedAt', 'huskies', 'é✓'];
  const out: number[] = [];
  while (out.length < size) {
    if (random(1)[0]! < 77) out.push(...random(8)); // ~30 %: bytes that do not repeat
    else out.push(...new TextEncoder().encode(words[random(1)[0]! % words.length]!));
  }
  return Uint8Array.from(out.slice(0, size));
}

const MAX = 1 << 20;

describe('inflateRaw', () => {
  test('[SYNC19] decodes what zlib writes, with every block type, byte for byte', () => {
    const inputs = [new Uint8Array(0), Uint8Array.from([7]), sample(1, 100), sample(2, 70_000), new Uint8Array(200_000).fill(42), sample(3, 300_000)];
    for (const input of inputs) {
      for (const opts of [
        { level: 0 }, // stored blocks
        { level: 1 }, { level: 6 }, { level: 9 },
        { level: 6, strategy: constants.Z_FIXED }, // fixed Huffman codes
        { level: 6, strategy: constants.Z_HUFFMAN_ONLY },
        { level: 6, strategy: constants.Z_RLE },
      ]) {
        const r = inflateRaw(new Uint8Array(deflateRawSync(input, opts)), MAX);
        expect(r.ok, JSON.stringify(opts)).toBe(true);
        if (r.ok) expect(Buffer.from(r.bytes).equals(Buffer.from(input))).toBe(true);
      }
    }
  });

  test('[SYNC19] decodes what CompressionStream writes (the encoder the sessions use)', async () => {
    const input = sample(9, 128 * 1024);
    const deflated = new Uint8Array(await new Response(new Blob([input as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());
    const r = inflateRaw(deflated, MAX);
    expect(r.ok && Buffer.from(r.bytes).equals(Buffer.from(input))).toBe(true);
  });

  test('[SYNC19] stops at the cap: a bomb of 100 MB of zeros fails with a reason, without decoding it all', () => {
    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(100_000_000), { level: 9 }));
    expect(bomb.length).toBeLessThan(200_000);
    expect(inflateRaw(bomb, MAX)).toEqual({ ok: false, reason: `deflated: inflates past ${MAX} bytes` });
    // Exactly at the cap is fine; one byte past is not.
    const exact = new Uint8Array(deflateRawSync(new Uint8Array(1000), { level: 9 }));
    expect(inflateRaw(exact, 1000).ok).toBe(true);
    expect(inflateRaw(exact, 999).ok).toBe(false);
  });

  test('[SYNC19] truncated, corrupt and random input gets a reason, never an exception', () => {
    const good = new Uint8Array(deflateRawSync(sample(4, 20_000), { level: 6 }));
    for (const cut of [0, 1, 2, 10, good.length >> 1, good.length - 1]) {
      const r = inflateRaw(good.subarray(0, cut), MAX);
      expect(r.ok, `cut at ${cut}`).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^deflated: /);
    }
    expect(inflateRaw(Uint8Array.from([0x07]), MAX)).toEqual({ ok: false, reason: 'deflated: reserved block type' });
    expect(inflateRaw(Uint8Array.from([0x01, 0x05, 0x00, 0x00, 0x00]), MAX)).toEqual({ ok: false, reason: 'deflated: stored block length does not match its complement' });
    const random = seededBytes(5);
    let failed = 0;
    for (let i = 0; i < 2000; i++) {
      const junk = random(1 + (random(1)[0]! % 64));
      const r = inflateRaw(junk, 4096);
      if (!r.ok) { failed++; expect(r.reason).toMatch(/^deflated: /); }
    }
    expect(failed).toBeGreaterThan(1900);
    // A flipped byte inside a good stream: decoded differently or refused, never thrown.
    for (let i = 0; i < good.length; i += 97) {
      const bad = good.slice();
      bad[i] ^= 0x5a;
      expect(() => inflateRaw(bad, MAX)).not.toThrow();
    }
  });
});
