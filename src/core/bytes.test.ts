// Unit tests of the byte helpers: strict hex and strict UTF-8 (CORE3).
import { describe, expect, test } from 'vitest';
import { compareBytes, concatBytes, fromHex, isHex, toHex, utf8Decode, utf8Encode } from './bytes.js';

describe('hex', () => {
  test('[CORE3] round-trips and rejects uppercase, odd length and junk', () => {
    const b = Uint8Array.from([0, 1, 0xab, 0xff]);
    expect(toHex(b)).toBe('0001abff');
    expect(fromHex('0001abff')).toEqual(b);
    for (const bad of ['ABFF', 'abf', 'zz', ' 0', 42 as unknown as string]) expect(fromHex(bad)).toBeUndefined();
    expect(isHex('ab'.repeat(32), 32)).toBe(true);
    expect(isHex('AB'.repeat(32), 32)).toBe(false);
    expect(isHex('ab', 32)).toBe(false);
  });
});

describe('utf8', () => {
  const dec = (b: number[]) => utf8Decode(Uint8Array.from(b), 0, b.length);
  test('[CORE3] encodes like TextEncoder for well-formed strings', () => {
    for (const s of ['', 'abc', 'é', '✓', '🐺', 'a\u0000b', '\uffff']) {
      expect(utf8Encode(s)).toEqual(new TextEncoder().encode(s));
      expect(dec([...new TextEncoder().encode(s)])).toBe(s);
    }
  });
  test('[CORE3] encodes a string past the length of a JS array (a large board\'s state encoding)', () => {
    const s = `é${'a'.repeat(2 ** 27)}🐺`;
    const b = utf8Encode(s)!;
    expect(b.length).toBe(2 ** 27 + 6);
    expect([...b.subarray(0, 3)]).toEqual([0xc3, 0xa9, 0x61]);
    expect([...b.subarray(-4)]).toEqual([...new TextEncoder().encode('🐺')]);
  });
  test('[CORE3] lone surrogates cannot be encoded', () => {
    expect(utf8Encode('\ud800')).toBeUndefined();
    expect(utf8Encode('\udc00x')).toBeUndefined();
    expect(utf8Encode('x\ud83d')).toBeUndefined();
  });
  test('[CORE3] the decoder rejects overlong forms, surrogates, out-of-range and truncated sequences', () => {
    for (const b of [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x9c], [0xff]]) {
      expect(dec(b)).toBeUndefined();
    }
  });
  test('[CORE3] the decoder respects the end bound', () => {
    expect(utf8Decode(Uint8Array.from([0x61, 0xe2, 0x9c, 0x93]), 0, 3)).toBeUndefined();
    expect(utf8Decode(Uint8Array.from([0x61, 0x62]), 1, 2)).toBe('b');
  });
});

test('compareBytes and concatBytes', () => {
  expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0);
  expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
  expect(compareBytes(Uint8Array.of(2), Uint8Array.of(2))).toBe(0);
  expect(concatBytes([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)])).toEqual(Uint8Array.of(1, 2, 3));
});
