// The op ids of a restored prefix by position (CORE16), for the document's
// lookups by id. A Map of 100,000 64-character ids costs ~150 ms to build on
// a cold open in Chromium (every id hashed, the table grown step by step);
// this table sorts one number per op instead — the id's leading bits with the
// op's position in the low bits — in ~10–20 ms, and answers a lookup by a
// binary search and a comparison of the id itself.
//
// Ids are SHA-256 hex, so their leading bits are uniform; ids that share the
// leading bits (a collision, or ids made to collide) are told apart by the
// comparison, at the cost of a longer scan for those ids only.

/** Bits of a key that hold the position: at least 17, more for longer prefixes. */
function positionBits(count: number): number {
  let bits = 17;
  while (2 ** bits < count) bits++;
  return bits;
}

/** The first 9 characters of an id read as hex: 36 bits (non-hex characters give some value; the comparison decides). */
function lead36(id: string): number {
  if (id.length < 9) return 0;
  let lead = 0;
  for (let i = 0; i < 9; i++) lead = lead * 16 + (hexValue(id.charCodeAt(i)) & 15);
  return lead;
}

/** lead36 of the id whose ASCII characters start at `bytes[at]` (a snapshot's id table: no string needed). */
export function lead36Bytes(bytes: Uint8Array, at: number): number {
  let lead = 0;
  for (let i = at; i < at + 9; i++) lead = lead * 16 + (hexValue(bytes[i]!) & 15);
  return lead;
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * The position of an id among the first `count` entries by a scan (`leads`,
 * when given, are their lead36 values): what the first lookups after a
 * restore use. An open's short tail looks up ~10 ids; scanning for them costs
 * less than sorting the table (~15 ms in Node, 40–60 ms in a busy Chromium worker).
 */
export function scanPrefix(entries: readonly { readonly id: string }[], count: number, leads: Float64Array | undefined, id: string): number | undefined {
  if (leads === undefined) {
    for (let i = 0; i < count; i++) if (entries[i]!.id === id) return i;
    return undefined;
  }
  const lead = lead36(id);
  for (let i = 0; i < count; i++) if (leads[i] === lead && entries[i]!.id === id) return i;
  return undefined;
}

export class PrefixIds {
  private readonly keys: Float64Array;
  /** 2 ** position bits. */
  private readonly span: number;
  /** 2 ** (36 − lead bits): what a 36-bit lead is divided by. */
  private readonly drop: number;

  /** The first `count` entries; `leads`, when given, holds their lead36 values (read from bytes). */
  constructor(private readonly entries: readonly { readonly id: string }[], count: number, leads?: Float64Array) {
    const bits = positionBits(count);
    this.span = 2 ** bits;
    this.drop = 2 ** (36 - (53 - bits));
    this.keys = new Float64Array(count);
    for (let i = 0; i < count; i++) this.keys[i] = Math.floor((leads !== undefined ? leads[i]! : lead36(entries[i]!.id)) / this.drop) * this.span + i;
    this.keys.sort();
  }

  /** The position of an id in the prefix, or undefined. */
  find(id: string): number | undefined {
    const lo = this.lead(id) * this.span;
    const keys = this.keys;
    let a = 0;
    let b = keys.length;
    while (a < b) { const m = (a + b) >>> 1; if (keys[m]! < lo) a = m + 1; else b = m; }
    for (let k = a; k < keys.length && keys[k]! < lo + this.span; k++) {
      const pos = keys[k]! - lo;
      if (this.entries[pos]!.id === id) return pos;
    }
    return undefined;
  }

  private lead(id: string): number {
    return Math.floor(lead36(id) / this.drop);
  }
}
