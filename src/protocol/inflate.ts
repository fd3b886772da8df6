// Raw DEFLATE (RFC 1951) decoding with a cap on the output, for `deflated`
// sync messages (SYNC19). A receiver must bound what a peer's bytes make it
// do: deflate expands up to ~1,000×, and a decoder that only truncates its
// output (fflate's, given an output buffer) still decodes a bomb to its end
// (measured: 3 s for 0.5 MB of deflated zeros). This one stops at the first
// byte past the cap. Never throws: hostile bytes give `{ ok: false, reason }`.
// Pure: no imports.

export type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

class Fail { constructor(readonly reason: string) {} }

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which a dynamic block lists the code lengths of its code-length code. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * A canonical Huffman code as a lookup table indexed by the next `bits`
 * input bits (least significant first): entry = symbol << 4 | code length,
 * 0 where no code matches (an incomplete code, allowed by RFC 1951).
 */
interface Table { readonly entries: Int32Array; readonly bits: number }

function buildTable(lengths: ArrayLike<number>, from: number, n: number): Table {
  const count = new Array<number>(16).fill(0);
  let bits = 0;
  for (let i = 0; i < n; i++) { const l = lengths[from + i]!; count[l]!++; if (l > bits) bits = l; }
  count[0] = 0;
  const next = new Array<number>(16).fill(0);
  let code = 0;
  for (let l = 1; l <= 15; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  const size = 1 << bits;
  const entries = new Int32Array(bits === 0 ? 1 : size);
  for (let sym = 0; sym < n; sym++) {
    const len = lengths[from + sym]!;
    if (len === 0) continue;
    const c = next[len]!++;
    if (c >= 1 << len) throw new Fail('over-subscribed Huffman code');
    let rev = 0;
    for (let k = 0; k < len; k++) rev |= ((c >> k) & 1) << (len - 1 - k);
    for (let i = rev; i < size; i += 1 << len) entries[i] = (sym << 4) | len;
  }
  return { entries, bits };
}

let fixedCodes: { litlen: Table; dist: Table } | undefined;
function fixed(): { litlen: Table; dist: Table } {
  if (fixedCodes === undefined) {
    const l = new Array<number>(288);
    for (let i = 0; i < 288; i++) l[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    fixedCodes = { litlen: buildTable(l, 0, 288), dist: buildTable(new Array<number>(30).fill(5), 0, 30) };
  }
  return fixedCodes;
}

/** Decodes raw DEFLATE `input`; fails, without decoding further, once the output would pass `max` bytes. */
export function inflateRaw(input: Uint8Array, max: number): InflateResult {
  try {
    return { ok: true, bytes: new Inflater(input, max).run() };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: `deflated: ${e.reason}` };
    return { ok: false, reason: 'deflated: malformed' };
  }
}

class Inflater {
  private pos = 0;
  private bitBuf = 0;
  private bitCount = 0;
  /** Zero bytes read past the input's end (a code near the end may peek past it; using them is truncation). */
  private padding = 0;
  private out: Uint8Array;
  private length = 0;

  constructor(private readonly input: Uint8Array, private readonly max: number) {
    this.out = new Uint8Array(Math.min(max, Math.max(1024, input.length * 4)));
  }

  run(): Uint8Array {
    let last = 0;
    while (last === 0) {
      last = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) { const f = fixed(); this.codes(f.litlen, f.dist); } else if (type === 2) this.dynamic();
      else throw new Fail('reserved block type');
    }
    if (this.padding > 0 && this.pos * 8 - this.bitCount > this.input.length * 8) throw new Fail('truncated');
    return this.out.subarray(0, this.length);
  }

  /** Makes at least `n` (≤ 24) bits available. */
  private need(n: number): void {
    while (this.bitCount < n) {
      let b = 0;
      if (this.pos < this.input.length) b = this.input[this.pos]!;
      else if (++this.padding > 4) throw new Fail('truncated');
      this.pos++;
      this.bitBuf |= b << this.bitCount;
      this.bitCount += 8;
    }
  }

  private bits(n: number): number {
    if (n === 0) return 0;
    this.need(n);
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return v;
  }

  private symbol(t: Table): number {
    this.need(t.bits);
    const e = t.entries[this.bitBuf & ((1 << t.bits) - 1)]!;
    if (e === 0) throw new Fail('invalid Huffman code');
    const len = e & 15;
    this.bitBuf >>>= len;
    this.bitCount -= len;
    return e >> 4;
  }

  /** Room for `n` more output bytes, or a failure past the cap. */
  private room(n: number): void {
    const want = this.length + n;
    if (want > this.max) throw new Fail(`inflates past ${this.max} bytes`);
    if (want > this.out.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(want, this.out.length * 2)));
      grown.set(this.out.subarray(0, this.length));
      this.out = grown;
    }
  }

  private stored(): void {
    // Drop the partial byte; the bit buffer then holds whole bytes, which are given back to the input.
    this.bitBuf >>>= this.bitCount & 7;
    this.bitCount -= this.bitCount & 7;
    this.pos -= this.bitCount >> 3;
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos > this.input.length) throw new Fail('truncated');
    this.padding = 0;
    const i = this.input;
    if (this.pos + 4 > i.length) throw new Fail('truncated');
    const len = i[this.pos]! | (i[this.pos + 1]! << 8);
    const nlen = i[this.pos + 2]! | (i[this.pos + 3]! << 8);
    this.pos += 4;
    if ((len ^ 0xffff) !== nlen) throw new Fail('stored block length does not match its complement');
    if (this.pos + len > i.length) throw new Fail('truncated');
    this.room(len);
    this.out.set(i.subarray(this.pos, this.pos + len), this.length);
    this.length += len;
    this.pos += len;
  }

  private dynamic(): void {
    const nLit = this.bits(5) + 257;
    const nDist = this.bits(5) + 1;
    const nCl = this.bits(4) + 4;
    if (nLit > 286) throw new Fail('more than 286 literal/length codes');
    if (nDist > 30) throw new Fail('more than 30 distance codes');
    const clLengths = new Array<number>(19).fill(0);
    for (let i = 0; i < nCl; i++) clLengths[CL_ORDER[i]!] = this.bits(3);
    const cl = buildTable(clLengths, 0, 19);
    if (cl.bits === 0) throw new Fail('empty code-length code');
    const lengths = new Array<number>(nLit + nDist).fill(0);
    for (let i = 0; i < nLit + nDist;) {
      const sym = this.symbol(cl);
      if (sym < 16) { lengths[i++] = sym; continue; }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) throw new Fail('repeat with no previous length');
        value = lengths[i - 1]!;
        repeat = 3 + this.bits(2);
      } else if (sym === 17) repeat = 3 + this.bits(3);
      else repeat = 11 + this.bits(7);
      if (i + repeat > nLit + nDist) throw new Fail('code lengths overrun');
      while (repeat-- > 0) lengths[i++] = value;
    }
    if (lengths[256] === 0) throw new Fail('no end-of-block code');
    this.codes(buildTable(lengths, 0, nLit), buildTable(lengths, nLit, nDist));
  }

  /** Decodes one block's symbols until its end-of-block code. */
  private codes(litlen: Table, dist: Table): void {
    for (;;) {
      const sym = this.symbol(litlen);
      if (sym < 256) {
        if (this.length >= this.out.length) this.room(1);
        this.out[this.length++] = sym;
        continue;
      }
      if (sym === 256) return;
      const li = sym - 257;
      if (li >= 29) throw new Fail('invalid length code');
      const len = LENGTH_BASE[li]! + this.bits(LENGTH_EXTRA[li]!);
      if (dist.bits === 0) throw new Fail('a length with no distance code');
      const di = this.symbol(dist);
      if (di >= 30) throw new Fail('invalid distance code');
      const d = DIST_BASE[di]! + this.bits(DIST_EXTRA[di]!);
      if (d > this.length) throw new Fail('distance past the start of the output');
      this.room(len);
      const out = this.out;
      let from = this.length - d;
      let to = this.length;
      const end = to + len;
      while (to < end) out[to++] = out[from++]!;
      this.length = end;
    }
  }
}
