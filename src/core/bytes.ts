// Byte helpers for the pure core: hex, UTF-8 and byte comparison.
// The core's tsconfig has no DOM, so TextEncoder/TextDecoder are not available;
// UTF-8 is done here, strictly (no lone surrogates, no overlong forms), because
// a lenient decoder would let two byte strings decode to one text (CORE3).

const HEX = '0123456789abcdef';
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);
const HEX_CODES = Uint16Array.from(HEX, (c) => c.charCodeAt(0));
const HEX_SCRATCH = new Uint16Array(64);

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  // One flat string from char codes: ids become Map keys, and a string built
  // by 32 concatenations is a rope V8 must flatten before hashing it.
  const n = bytes.length;
  if (n > 1024) {
    // Long input (not an id): keep fromCharCode's argument count small.
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(HEX_PAIRS[bytes[i]!]!);
    return parts.join('');
  }
  const codes = n <= 32 ? HEX_SCRATCH : new Uint16Array(2 * n);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    codes[2 * i] = HEX_CODES[b >> 4]!;
    codes[2 * i + 1] = HEX_CODES[b & 15]!;
  }
  const view = codes.length === 2 * n ? codes : codes.subarray(0, 2 * n);
  return String.fromCharCode.apply(null, view as unknown as number[]);
}

/** The value of one lowercase hex digit's char code, or -1. */
export function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Parses lowercase hex; returns undefined for anything else (odd length, uppercase, junk). */
export function fromHex(hex: string): Uint8Array | undefined {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True when `s` is `bytes` hex characters of lowercase hex. */
export function isHex(s: unknown, bytes: number): s is string {
  if (typeof s !== 'string' || s.length !== bytes * 2) return false;
  for (let i = 0; i < s.length; i++) if (hexNibble(s.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * UTF-8 encoding of a well-formed string; undefined if it holds a lone
 * surrogate. Two passes, the length and then the bytes, into one array of the
 * exact size: a number[] grown byte by byte stops at V8's array length cap
 * (the state encoding of a 100,000-op board, REPL9's dump, threw there).
 */
export function utf8Encode(s: string): Uint8Array | undefined {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return undefined;
      n += 4;
      i++;
    } else n += 3;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 63);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    }
  }
  return out;
}

/** Strict UTF-8 decoding of bytes[start, end); undefined if not well-formed. */
export function utf8Decode(bytes: Uint8Array, start: number, end: number): string | undefined {
  let out = '';
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      // Fast path for runs of ASCII.
      let j = i + 1;
      while (j < end && bytes[j]! < 0x80) j++;
      out += String.fromCharCode.apply(null, bytes.subarray(i, j) as unknown as number[]);
      i = j;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
    else return undefined;
    for (let k = 1; k <= need; k++) {
      const cb = bytes[i + k];
      if (cb === undefined || i + k >= end || (cb & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (cb & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/** Bytewise comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
