// The canonical byte encoding of ops (SPEC CORE3, written out byte by byte in
// docs/SPEC.md). Every op has exactly one encoding: minimal varints, sorted
// deps, fixed tags, no trailing bytes. The decoder rejects anything else, so
// one op can never travel under two ids.
import { ByteWriter } from './byte-writer.js';
import { compareBytes, fromHex, hexNibble, toHex, utf8Decode, utf8Encode } from './bytes.js';
import { sha256 } from './hash.js';
import {
  FORMAT_VERSION, HEAD, LIMITS, ROOT, SIG_BYTES, actionObjId, isObjIdForm, objIdIndex,
  type Action, type LocalAction, type LocalRef, type Op, type OpHeader, type Value,
} from './op.js';

/** Programmer misuse of the encoder (a bad local value), never hostile input. */
export class EncodeError extends TypeError {}

class Writer extends ByteWriter {
  // One scratch buffer reused by every encode (the core is synchronous, so
  // encodes never interleave); copy() takes out exactly what was written.
  private static scratch: Uint8Array = new Uint8Array(4096);
  constructor() { super(Writer.scratch); }
  protected override grew(next: Uint8Array): void {
    if (next.length <= LIMITS.maxOpBytes * 2) Writer.scratch = next;
  }
  /** 32 bytes from 64 lowercase hex characters, written in place; false when `hex` is not that. */
  hexId(hex: string): boolean {
    if (typeof hex !== 'string' || hex.length !== 64) return false;
    this.reserve(32);
    const buf = this.buf;
    for (let i = 0; i < 32; i++) {
      const hi = hexNibble(hex.charCodeAt(2 * i));
      const lo = hexNibble(hex.charCodeAt(2 * i + 1));
      if ((hi | lo) < 0) return false;
      buf[this.length + i] = (hi << 4) | lo;
    }
    this.length += 32;
    return true;
  }
  override uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new EncodeError(`not a uint: ${n}`);
    super.uvarint(n);
  }
  string(s: string, max: number): void {
    // ASCII fast path (keys, ids, most values): one byte per char, written in
    // place. Same bytes as utf8Encode, without its per-string arrays.
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
    if (ascii) {
      if (n > max) throw new RangeError(`string of ${n} bytes exceeds ${max}`);
      this.uvarint(n);
      this.reserve(n);
      for (let i = 0; i < n; i++) this.buf[this.length + i] = s.charCodeAt(i);
      this.length += n;
      return;
    }
    const b = utf8Encode(s);
    if (!b) throw new EncodeError('string holds a lone surrogate');
    if (b.length > max) throw new RangeError(`string of ${b.length} bytes exceeds ${max}`);
    this.uvarint(b.length);
    this.bytes(b);
  }
}

const f64 = new DataView(new ArrayBuffer(8));
const f64Bytes = new Uint8Array(f64.buffer);

function writeId(w: Writer, hex: string): void {
  if (!w.hexId(hex)) throw new EncodeError(`not a 32-byte hex id: ${hex}`);
}

// Ref tags: 0 = root (container position) or head (list position), 1 = an
// action of another op, 2 = an earlier action of this op.
function writeRef(w: Writer, ref: LocalRef, zero: string, selfLimit: number): void {
  if (typeof ref === 'object') {
    if (!Number.isSafeInteger(ref.self) || ref.self < 0 || ref.self >= selfLimit) {
      throw new EncodeError(`self ref ${ref.self} must name an earlier action`);
    }
    w.byte(2); w.uvarint(ref.self);
    return;
  }
  if (ref === zero) { w.byte(0); return; }
  if (!isObjIdForm(ref)) throw new EncodeError(`bad ref: ${ref}`);
  w.byte(1); writeId(w, ref.slice(0, 64)); w.uvarint(objIdIndex(ref));
}

function writeValue(w: Writer, v: Value): void {
  if (v === null) w.byte(0);
  else if (v === false) w.byte(1);
  else if (v === true) w.byte(2);
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new EncodeError(`number must be finite: ${v}`);
    w.byte(3);
    f64.setFloat64(0, v === 0 ? 0 : v); // -0 is written as 0: one encoding per value
    w.bytes(f64Bytes);
  } else if (typeof v === 'string') { w.byte(4); w.string(v, LIMITS.maxStringBytes); }
  else if (typeof v === 'object' && (v.make === 'map' || v.make === 'list')) w.byte(v.make === 'map' ? 5 : 6);
  else throw new EncodeError(`unsupported value: ${String(v)}`);
}

/** Deps as the encoding lists them: ascending, once each, without prev; as given when they already are (a prepared op's). */
function canonicalDeps(deps: readonly string[], prev: string | null): readonly string[] {
  let i = 0;
  while (i < deps.length && deps[i] !== prev && (i === 0 || deps[i - 1]! < deps[i]!)) i++;
  return i === deps.length ? deps : [...new Set(deps)].filter((d) => d !== prev).sort();
}

/** Encodes an op body (everything the id covers). Throws on programmer misuse. */
export function encodeBody(header: OpHeader, actions: readonly LocalAction[]): Uint8Array {
  return encodeUnsigned(header, actions).body;
}

/**
 * The body and, around it, the whole signed op with its signature still
 * zero: `signed` is `body` followed by 64 bytes for `fillSignature`, so the
 * local path never copies an op to join it with its signature.
 */
export function encodeUnsigned(header: OpHeader, actions: readonly LocalAction[]): { body: Uint8Array; signed: Uint8Array } {
  if ((header.seq === 1) !== (header.prev === null)) throw new EncodeError('prev must be null exactly when seq is 1');
  if (actions.length === 0 || actions.length > LIMITS.maxActions) throw new RangeError(`an op holds 1..${LIMITS.maxActions} actions`);
  if (header.deps.length > LIMITS.maxDeps) throw new RangeError(`at most ${LIMITS.maxDeps} deps`);
  if (header.lamport < 1 || header.lamport > LIMITS.maxCounter || header.seq < 1 || header.seq > LIMITS.maxCounter) {
    throw new RangeError('seq and lamport must be in 1..2^48');
  }
  const w = new Writer();
  w.byte(FORMAT_VERSION);
  writeId(w, header.author);
  w.uvarint(header.seq);
  w.uvarint(header.lamport);
  if (header.prev === null) w.byte(0);
  else { w.byte(1); writeId(w, header.prev); }
  const deps = canonicalDeps(header.deps, header.prev);
  w.uvarint(deps.length);
  for (const d of deps) writeId(w, d);
  w.uvarint(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (a.type === 'set') {
      w.byte(1); writeRef(w, a.obj, ROOT, i); w.string(a.key, LIMITS.maxKeyBytes); writeValue(w, a.value);
    } else if (a.type === 'ins') {
      w.byte(2); writeRef(w, a.obj, ROOT, i); writeRef(w, a.after, HEAD, i); writeValue(w, a.value);
    } else if (a.type === 'del') {
      w.byte(3); writeRef(w, a.obj, ROOT, i); writeRef(w, a.elem, HEAD, i);
    } else throw new EncodeError('unknown action type');
  }
  // The decoder rejects signed ops over maxOpBytes (CORE11): never build one.
  if (w.length + SIG_BYTES > LIMITS.maxOpBytes) throw new RangeError(`op of ${w.length + SIG_BYTES} bytes exceeds ${LIMITS.maxOpBytes}`);
  const signed = w.copy(SIG_BYTES);
  return { body: signed.subarray(0, w.length), signed };
}

/** Writes a signature into the room `encodeUnsigned` left after the body. */
export function fillSignature(signed: Uint8Array, sig: Uint8Array): void {
  if (sig.length !== SIG_BYTES) throw new RangeError('signature must be 64 bytes');
  signed.set(sig, signed.length - SIG_BYTES);
}

/** Joins a body and its signature into the wire form of a signed op. */
export function joinSigned(body: Uint8Array, sig: Uint8Array): Uint8Array {
  if (sig.length !== SIG_BYTES) throw new RangeError('signature must be 64 bytes');
  const out = new Uint8Array(body.length + SIG_BYTES);
  out.set(body);
  out.set(sig, body.length);
  return out;
}

export type DecodeResult = { readonly ok: true; readonly op: Op } | { readonly ok: false; readonly reason: string };

class Fail { constructor(readonly reason: string) {} }

/**
 * Short ASCII strings decoded before (a board's field names, stages and kinds,
 * in nearly every op), by their bytes: a hit is the same string again, not
 * decoded, allocated and then hashed again by every Map that looks it up. A
 * slot keeps the last string that hashed to it; a miss decodes as usual.
 */
const INTERN_MAX_BYTES = 24;
const internSlots: (string | undefined)[] = new Array<string | undefined>(1024);

function internedAscii(b: Uint8Array, start: number, len: number): string | undefined {
  let h = 0x811c9dc5 ^ len;
  for (let i = start; i < start + len; i++) {
    const c = b[i]!;
    if (c >= 0x80) return undefined;
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h >>> 0) % 1024;
  const known = internSlots[slot];
  if (known !== undefined && known.length === len) {
    let i = 0;
    while (i < len && known.charCodeAt(i) === b[start + i]) i++;
    if (i === len) return known;
  }
  const fresh = String.fromCharCode.apply(null, b.subarray(start, start + len) as unknown as number[]);
  internSlots[slot] = fresh;
  return fresh;
}

/** The author key of the op decoded last, and its hex: a catch-up streams an author's ops one after another. */
const lastAuthorBytes = new Uint8Array(32);
let lastAuthor: string | undefined;

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array, readonly end: number) {}
  byte(): number {
    if (this.pos >= this.end) throw new Fail('truncated');
    return this.b[this.pos++]!;
  }
  id(): string {
    if (this.pos + 32 > this.end) throw new Fail('truncated');
    const s = toHex(this.b.subarray(this.pos, this.pos + 32));
    this.pos += 32;
    return s;
  }
  /** An author key: the previous op's string again when the bytes are the same. */
  author(): string {
    if (this.pos + 32 > this.end) throw new Fail('truncated');
    const b = this.b;
    const at = this.pos;
    let i = 0;
    while (i < 32 && b[at + i] === lastAuthorBytes[i]) i++;
    if (i < 32 || lastAuthor === undefined) {
      lastAuthorBytes.set(b.subarray(at, at + 32));
      lastAuthor = toHex(lastAuthorBytes);
    }
    this.pos += 32;
    return lastAuthor;
  }
  uvarint(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      if (i > 0 && b === 0) throw new Fail('non-canonical varint');
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (n > LIMITS.maxCounter) throw new Fail('number too large');
        return n;
      }
      mul *= 0x80;
    }
    throw new Fail('varint too long');
  }
  string(max: number): string {
    const len = this.uvarint();
    if (len > max) throw new Fail(`string of ${len} bytes exceeds ${max}`);
    if (this.pos + len > this.end) throw new Fail('truncated');
    const s = (len <= INTERN_MAX_BYTES ? internedAscii(this.b, this.pos, len) : undefined) ?? utf8Decode(this.b, this.pos, this.pos + len);
    if (s === undefined) throw new Fail('invalid UTF-8');
    this.pos += len;
    return s;
  }
}

/**
 * The ops an action may name besides itself (CORE9): prev and deps, with
 * where their 32 id bytes sit in the op. A reference to one of them reuses
 * its id string (no second hex string); any other is noted, so `check` still
 * refuses it, and a decoded op whose references all name these skips that
 * test (`refsCausal`).
 */
class NamedOps {
  readonly at: number[] = [];
  readonly ids: string[] = [];
  outside = false;
  /**
   * The op's own action ids as references name them, one string each: a
   * story's creation names its map in most of its ~15 actions, and one
   * string is hashed once by every Map that looks it up, and compared by
   * pointer by the state's and the board index's same-container shortcuts.
   */
  private readonly selfIds: (string | undefined)[] = [];
  constructor(private readonly b: Uint8Array) {}

  self(id: string, index: number): string {
    return this.selfIds[index] ??= actionObjId(id, index);
  }

  add(at: number, id: string): void {
    this.at.push(at);
    this.ids.push(id);
  }

  /** The id string of the named op whose bytes sit at `pos`, if it is one of them. */
  find(pos: number): string | undefined {
    const b = this.b;
    for (let k = 0; k < this.at.length; k++) {
      const at = this.at[k]!;
      let i = 0;
      while (i < 32 && b[pos + i] === b[at + i]) i++;
      if (i === 32) return this.ids[k];
    }
    return undefined;
  }
}

function readRef(r: Reader, id: string, zero: string, selfLimit: number, named: NamedOps): string {
  const tag = r.byte();
  if (tag === 0) return zero;
  if (tag === 1) {
    if (r.pos + 32 > r.end) throw new Fail('truncated');
    let op = named.find(r.pos);
    if (op === undefined) {
      op = r.id();
      if (op === id) throw new Fail('ref to own id');
      named.outside = true;
    } else r.pos += 32;
    return actionObjId(op, r.uvarint());
  }
  if (tag === 2) {
    const index = r.uvarint();
    if (index >= selfLimit) throw new Fail('self ref must name an earlier action');
    return named.self(id, index);
  }
  throw new Fail(`unknown ref tag ${tag}`);
}

function readValue(r: Reader, bytes: Uint8Array): Value {
  const tag = r.byte();
  switch (tag) {
    case 0: return null;
    case 1: return false;
    case 2: return true;
    case 3: {
      if (r.pos + 8 > r.end) throw new Fail('truncated');
      const v = new DataView(bytes.buffer, bytes.byteOffset + r.pos, 8).getFloat64(0);
      r.pos += 8;
      if (!Number.isFinite(v) || Object.is(v, -0)) throw new Fail('non-canonical number');
      return v;
    }
    case 4: return r.string(LIMITS.maxStringBytes);
    case 5: return { make: 'map' };
    case 6: return { make: 'list' };
    default: throw new Fail(`unknown value tag ${tag}`);
  }
}

/**
 * Decodes a signed op. Never throws: hostile bytes give `{ ok: false, reason }`.
 * Checks structure and canonical form only; signatures, dependencies and
 * references are checked later (CORE7, CORE9).
 */
export function decodeOp(bytes: unknown, trustedId?: string): DecodeResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'not bytes' };
  if (bytes.length > LIMITS.maxOpBytes) return { ok: false, reason: `op of ${bytes.length} bytes exceeds ${LIMITS.maxOpBytes}` };
  if (bytes.length < 1 + 32 + SIG_BYTES) return { ok: false, reason: 'truncated' };
  const bodyEnd = bytes.length - SIG_BYTES;
  const body = bytes.subarray(0, bodyEnd);
  // trustedId: only for ops read back from the replica's own store (CORE14),
  // or hashed from these very bytes by the replica's own code; never a peer's claim.
  const id = trustedId ?? toHex(sha256(body));
  const r = new Reader(bytes, bodyEnd);
  try {
    const version = r.byte();
    if (version !== FORMAT_VERSION) return { ok: false, reason: `unknown format version ${version}` };
    const author = r.author();
    const seq = r.uvarint();
    const lamport = r.uvarint();
    if (seq < 1 || lamport < 1) return { ok: false, reason: 'seq and lamport start at 1' };
    const prevFlag = r.byte();
    if (prevFlag > 1) return { ok: false, reason: 'bad prev flag' };
    const named = new NamedOps(bytes);
    const prevAt = r.pos;
    const prev = prevFlag === 1 ? r.id() : null;
    if (prev !== null) named.add(prevAt, prev);
    if ((seq === 1) !== (prev === null)) return { ok: false, reason: 'prev must be present exactly when seq > 1' };
    const nDeps = r.uvarint();
    if (nDeps > LIMITS.maxDeps) return { ok: false, reason: `more than ${LIMITS.maxDeps} deps` };
    const deps: string[] = [];
    for (let i = 0; i < nDeps; i++) {
      const at = r.pos;
      const d = r.id();
      named.add(at, d);
      if (d === prev) return { ok: false, reason: 'deps repeat prev' };
      if (i > 0 && !(deps[i - 1]! < d)) return { ok: false, reason: 'deps not strictly ascending' };
      if (d === id) return { ok: false, reason: 'op depends on itself' };
      deps.push(d);
    }
    const nActions = r.uvarint();
    if (nActions < 1 || nActions > LIMITS.maxActions) return { ok: false, reason: `an op holds 1..${LIMITS.maxActions} actions` };
    const actions: Action[] = [];
    for (let i = 0; i < nActions; i++) {
      const tag = r.byte();
      if (tag === 1) {
        const obj = readRef(r, id, ROOT, i, named);
        const key = r.string(LIMITS.maxKeyBytes);
        actions.push({ type: 'set', obj, key, value: readValue(r, bytes) });
      } else if (tag === 2) {
        const obj = readRef(r, id, ROOT, i, named);
        const after = readRef(r, id, HEAD, i, named);
        actions.push({ type: 'ins', obj, after, value: readValue(r, bytes) });
      } else if (tag === 3) {
        const obj = readRef(r, id, ROOT, i, named);
        const elem = readRef(r, id, HEAD, i, named);
        actions.push({ type: 'del', obj, elem });
      } else return { ok: false, reason: `unknown action tag ${tag}` };
    }
    if (r.pos !== bodyEnd) return { ok: false, reason: 'trailing bytes' };
    // Own the bytes: a transport may reuse its receive buffer after the id was
    // computed. One copy; the signature is a view of it (one buffer per op, not two).
    const own = bytes.slice();
    return { ok: true, op: { id, author, seq, lamport, prev, deps, actions, sig: own.subarray(bodyEnd), bytes: own, refsCausal: !named.outside } };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, reason: e.reason };
    return { ok: false, reason: 'malformed' };
  }
}

/** The id bytes (the signed message) of a decoded op. */
export function opIdBytes(op: Op): Uint8Array {
  return fromHex(op.id)!;
}

/** Bytewise order of two byte strings, re-exported for canonical sorting. */
export { compareBytes };
