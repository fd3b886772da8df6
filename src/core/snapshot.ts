// Derived snapshots of a Document (SPEC CORE16, STORE12): everything the
// document holds after applying a log prefix — containers with their
// registers and list elements (tombstones and stamps included), the applied
// ops' metadata (for duplicate detection and header checks), heads, clock,
// author tips and the root's children — in a compact binary form, so a
// replica can start from it and replay only the tail of its log. The log
// stays the only source of truth: a snapshot is a cache, and any snapshot
// that does not decode cleanly is refused with a reason (never a throw), so
// the caller replays the whole log instead.
//
// Layout (all integers unsigned LEB128 unless noted):
//   magic 'HUSKSNP' 0x00 · version u8 · 3 zero bytes · checksum u32 LE
//     (FNV-1a over the length, then the 32-bit LE words of what follows, zero-padded)
//   strings   byteLength · UTF-8 JSON array of strings   keys and string values, interned
//   authors   n · n × 64 ASCII hex
//   ops       n · n × 64 ASCII hex ids · n × (author, seq, lamport)   apply order
//   clock · heads (n · op…) · tips (n · n × (author, seq, op, count))
//   containers n · n × (ref id, kind 0 map | 1 list, depth, ref parent, content)   creation order
//     map content  n · n × (key string, value, op, action index)      field order
//     list content n · n × (op, action index, deleted 0|1, value)    list order
//   rootChildren n · n × ref
//   derived   0 none | 1 · one derived value (below)
//   ref = 0 none · 1 root · 2 + op, action index;  value = 0 null · 1 false · 2 true
//         · 3 float64 LE · 4 string · 5 new map · 6 new list · 7 safe uint
// A derived value is data computed from the state that its owner (the board
// index) would rather not recompute on open, in the snapshot's own tables:
//   0 null · 1 false · 2 true · 3 float64 LE · 4 string · 7 safe uint
//   · 8 array n · n × value · 9 object n · n × (key string, value)
//   · 10 a container or element id of the prefix, as a ref
// A register's or element's stamp is (op's lamport, op's author, op, action
// index), and an element's id is its stamp's action: both are rebuilt from
// the op table rather than stored twice.
import { ByteWriter } from './byte-writer.js';
import { InvariantError } from './assert.js';
import { utf8Decode, utf8Encode } from './bytes.js';
import { Document, type AuthorTip, type DocumentOptions, type PrefixEntry } from './document.js';
import { LIMITS, ROOT, actionObjId, isObjIdForm, parseObjId, type ObjId, type OpId, type Value } from './op.js';
import type { Stamp } from './stamp.js';
import { ListElement, RgaList } from './list.js';
import { lead36Bytes } from './prefix-ids.js';
import { IntTable } from './int-table.js';
import { LwwMap } from './lww-map.js';
import { FORBIDDEN_KEYS, type Container, type ContainerHeader, type ContainerSource } from './state.js';

/** Bumped whenever the layout or what the document derives from ops changes: older snapshots are then rebuilt. */
export const SNAPSHOT_VERSION = 2;
const MAGIC = [0x48, 0x55, 0x53, 0x4b, 0x53, 0x4e, 0x50, 0x00]; // 'HUSKSNP\0'
const SUM_AT = 12;
const HEADER = 16;

/** Options of restoreSnapshot: the document's, plus an optional fast text decoder from the platform. */
export interface SnapshotOptions extends DocumentOptions {
  /**
   * Decodes UTF-8 bytes to a string (e.g. a TextDecoder's decode). The core
   * has no platform text codec; a native one decodes the id and string
   * tables of a large snapshot many times faster than the portable fallback.
   */
  readonly decodeText?: (bytes: Uint8Array) => string;
}

export type SnapshotRestore =
  | { readonly ok: true; readonly doc: Document; readonly ops: number; readonly derived: unknown }
  | { readonly ok: false; readonly reason: string };

class Writer extends ByteWriter {
  private readonly scratch = new DataView(new ArrayBuffer(8));
  constructor() { super(new Uint8Array(1 << 16)); }
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i);
  }
  float(x: number): void {
    this.scratch.setFloat64(0, x, true);
    this.reserve(8);
    for (let i = 0; i < 8; i++) this.buf[this.length++] = this.scratch.getUint8(i);
  }
  /** UTF-8 of a long string: ASCII runs in place, other characters through utf8Encode. */
  text(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) { this.buf[this.length++] = c; continue; }
      const hi = c >= 0xd800 && c <= 0xdbff;
      const b = utf8Encode(hi ? s.slice(i, i + 2) : s[i]!);
      if (b === undefined) throw new InvariantError('a document string is not well-formed UTF-16');
      if (hi) i++;
      this.reserve(b.length + s.length - i);
      this.buf.set(b, this.length);
      this.length += b.length;
    }
  }
}

/** Deepest nesting of a derived value. */
const DERIVED_DEPTH = 32;

/**
 * The snapshot of everything `doc` holds now (its applied ops; the dependency
 * buffer is not part of it), with `derived`, when given: JSON-like data
 * computed from this state (plain objects, arrays, strings, finite numbers,
 * booleans, null; undefined properties are left out) that restoreSnapshot
 * hands back. Strings that are ids of the state's containers or elements are
 * stored as references, other strings in the shared string table.
 */
export function encodeSnapshot(doc: Document, derived?: unknown): Uint8Array {
  const strings = new Map<string, number>();
  const str = (s: string) => { let i = strings.get(s); if (i === undefined) strings.set(s, i = strings.size); return i; };
  const authors = new Map<string, number>();
  const author = (a: string) => { let i = authors.get(a); if (i === undefined) authors.set(a, i = authors.size); return i; };
  const meta = [...doc.appliedMeta()];
  const opIndex = new Map<OpId, number>();
  for (let i = 0; i < meta.length; i++) { opIndex.set(meta[i]!.id, i); author(meta[i]!.author); }
  const opOf = (id: OpId) => { const i = opIndex.get(id); if (i === undefined) throw new InvariantError('the state names an op that is not applied'); return i; };

  const body = new Writer();
  const ref = (id: ObjId | null) => {
    if (id === null) { body.uvarint(0); return; }
    if (id === ROOT) { body.uvarint(1); return; }
    const p = parseObjId(id);
    if (p === undefined) throw new InvariantError(`not a container id: ${id}`);
    body.uvarint(2 + opOf(p.op));
    body.uvarint(p.index);
  };
  const value = (v: Value) => {
    if (v === null) body.byte(0);
    else if (v === false) body.byte(1);
    else if (v === true) body.byte(2);
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && v >= 0) { body.byte(7); body.uvarint(v); } else { body.byte(3); body.float(v); }
    } else if (typeof v === 'string') { body.byte(4); body.uvarint(str(v)); }
    else body.byte(v.make === 'map' ? 5 : 6);
  };
  const stamp = (s: Stamp) => {
    const i = opOf(s.op);
    if (meta[i]!.lamport !== s.lamport || meta[i]!.author !== s.author) throw new InvariantError('a stamp disagrees with its op');
    body.uvarint(i);
    body.uvarint(s.index);
  };

  body.uvarint(authors.size);
  for (const a of authors.keys()) body.ascii(a);
  body.uvarint(meta.length);
  for (const m of meta) body.ascii(m.id);
  for (const m of meta) { body.uvarint(authors.get(m.author)!); body.uvarint(m.seq); body.uvarint(m.lamport); }
  body.uvarint(doc.maxLamport);
  const heads = doc.headsInOrder();
  body.uvarint(heads.length);
  for (const h of heads) body.uvarint(opOf(h));
  const tips = [...doc.authorTips()];
  body.uvarint(tips.length);
  for (const t of tips) { body.uvarint(author(t.author)); body.uvarint(t.seq); body.uvarint(opOf(t.id)); body.uvarint(t.count); }
  body.uvarint(doc.state.containers.size);
  for (const c of doc.state.containers.values()) {
    ref(c.id);
    body.byte(c.kind === 'map' ? 0 : 1);
    body.uvarint(c.depth);
    ref(c.parent);
    if (c.kind === 'map') {
      body.uvarint(c.map.fields.size);
      for (const [k, r] of c.map.fields) { body.uvarint(str(k)); value(r.value); stamp(r.stamp); }
    } else {
      const els = [...c.list.all()];
      body.uvarint(els.length);
      for (const el of els) {
        if (el.id !== actionObjId(el.stamp.op, el.stamp.index)) throw new InvariantError('a list element id disagrees with its stamp');
        stamp(el.stamp);
        body.byte(el.deleted ? 1 : 0);
        value(el.value);
      }
    }
  }
  body.uvarint(doc.state.rootChildren.length);
  for (const id of doc.state.rootChildren) ref(id);
  const derivedValue = (x: unknown, depth: number): void => {
    if (depth > DERIVED_DEPTH) throw new InvariantError('derived data nests too deep');
    if (x === null || typeof x === 'boolean' || typeof x === 'number') {
      if (typeof x === 'number' && !Number.isFinite(x)) throw new InvariantError('derived data holds a number that is not finite');
      value(Object.is(x, -0) ? 0 : x); // as JSON would: a restore refuses −0
    } else if (typeof x === 'string') {
      const p = x.length < 66 ? undefined : parseObjId(x);
      const i = p === undefined ? undefined : opIndex.get(p.op);
      if (i !== undefined) { body.byte(10); body.uvarint(2 + i); body.uvarint(p!.index); } else { body.byte(4); body.uvarint(str(x)); }
    } else if (Array.isArray(x)) {
      body.byte(8);
      body.uvarint(x.length);
      for (const item of x) derivedValue(item, depth + 1);
    } else if (typeof x === 'object') {
      const o = x as Record<string, unknown>;
      let n = 0;
      for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) n++;
      body.byte(9);
      body.uvarint(n);
      for (const k in o) if (Object.hasOwn(o, k) && o[k] !== undefined) { body.uvarint(str(k)); derivedValue(o[k], depth + 1); }
    } else throw new InvariantError(`derived data holds a ${typeof x}`);
  };
  if (derived === undefined) body.byte(0);
  else { body.byte(1); derivedValue(derived, 0); }
  if (authors.size !== new Set(meta.map((m) => m.author)).size) throw new InvariantError('an author tip names an author with no op');

  const out = new Writer();
  for (const b of MAGIC) out.byte(b);
  out.byte(SNAPSHOT_VERSION);
  out.ascii('\0\0\0\0\0\0\0'); // padding, then the checksum, filled below
  const table = new Writer();
  table.text(JSON.stringify([...strings.keys()]));
  out.uvarint(table.length);
  const bytes = new Uint8Array(out.length + table.length + body.length);
  bytes.set(out.written());
  bytes.set(table.written(), out.length);
  bytes.set(body.written(), out.length + table.length);
  new DataView(bytes.buffer).setUint32(SUM_AT, checksum(bytes), true);
  return bytes;
}

/**
 * FNV-1a (32-bit) over the snapshot's length and the little-endian 32-bit
 * words after the header, the last one zero-padded: catches a torn or damaged snapshot (not an adversary:
 * it is the replica's own store). Word-wise, so 10 MB take a few ms.
 */
function checksum(bytes: Uint8Array): number {
  // The length goes in first: zero padding would otherwise hide a trailing zero byte cut off.
  let h = Math.imul(0x811c9dc5 ^ bytes.length, 0x01000193);
  const end = bytes.length - ((bytes.length - HEADER) % 4);
  if (bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + HEADER, (end - HEADER) / 4);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = HEADER; i < end; i += 4) h = Math.imul(h ^ view.getUint32(i, true), 0x01000193);
  }
  let last = 0;
  for (let i = end, shift = 0; i < bytes.length; i++, shift += 8) last |= bytes[i]! << shift;
  if (end < bytes.length) h = Math.imul(h ^ last, 0x01000193);
  return h >>> 0;
}

/** Why a snapshot is refused; caught inside restoreSnapshot, never escapes. */
class Refused extends Error {}

class Reader {
  pos: number;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, start: number, private readonly decodeText: ((b: Uint8Array) => string) | undefined) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Refused('truncated');
    return this.bytes[this.pos++]!;
  }
  uvarint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 53) throw new Refused('varint too long');
    }
    return n;
  }
  /** A count of items that each take at least `min` bytes: bounded by what is left, so a bad count cannot allocate wildly. */
  count(min: number): number {
    const n = this.uvarint();
    if (n * min > this.bytes.length - this.pos) throw new Refused('count larger than the snapshot');
    return n;
  }
  float(): number {
    if (this.pos + 8 > this.bytes.length) throw new Refused('truncated');
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }
  /** `n` bytes of UTF-8 as one string: the platform decoder when given, else the strict portable one in chunks. */
  text(n: number): string {
    if (this.pos + n > this.bytes.length) throw new Refused('truncated');
    const bytes = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    if (this.decodeText) return this.decodeText(bytes);
    let out = '';
    let i = 0;
    while (i < n) {
      // Chunk ends on a character boundary (never inside a multi-byte sequence).
      let end = Math.min(n, i + 8192);
      while (end < n && (bytes[end]! & 0xc0) === 0x80) end++;
      const part = utf8Decode(bytes, i, end);
      if (part === undefined) throw new Refused('text is not UTF-8');
      out += part;
      i = end;
    }
    return out;
  }
  /** `n` ASCII characters (op ids, authors: hex; the checksum vouches for them, so they are not re-checked one by one). */
  hex(n: number): string {
    const s = this.text(n);
    if (s.length !== n) throw new Refused('ids are not ASCII');
    return s;
  }
}

const MAKE_MAP: Value = Object.freeze({ make: 'map' as const });
const MAKE_LIST: Value = Object.freeze({ make: 'list' as const });

/**
 * A document that behaves exactly as if the snapshot's log prefix had been
 * replayed into `new Document(options)` — or, for anything that is not a
 * sound snapshot of this version, the reason it is refused. Never throws.
 * The prefix's decoded ops are attached later (`Document.attachPrefix`).
 */
export function restoreSnapshot(bytes: unknown, options: SnapshotOptions = {}): SnapshotRestore {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'not bytes' };
  if (bytes.length < HEADER) return { ok: false, reason: 'truncated header' };
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return { ok: false, reason: 'not a snapshot (bad magic)' };
  const version = bytes[MAGIC.length]!;
  if (version !== SNAPSHOT_VERSION) return { ok: false, reason: `snapshot version ${version}, this build reads ${SNAPSHOT_VERSION}` };
  const sum = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(SUM_AT, true);
  if (checksum(bytes) !== sum) return { ok: false, reason: 'checksum mismatch (damaged or truncated)' };
  try {
    const { decodeText, ...docOptions } = options;
    return decode(new Reader(bytes, HEADER, decodeText), docOptions);
  } catch (e) {
    // Refused: a structural problem; InvariantError: a restore method's own check.
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

function decode(r: Reader, options: DocumentOptions): SnapshotRestore {
  const table: unknown = JSON.parse(r.text(r.uvarint()));
  if (!Array.isArray(table) || !table.every((x) => typeof x === 'string')) throw new Refused('the string table is not an array of strings');
  const strings = table as string[];
  const authorCount = r.count(64);
  const authorsText = r.hex(authorCount * 64);
  const authors: string[] = [];
  for (let i = 0; i < authorCount; i++) authors.push(authorsText.slice(i * 64, i * 64 + 64));
  const opCount = r.count(64 + 3);
  const idsAt = r.pos;
  const idsText = r.hex(opCount * 64);
  // The ids' leading digits as numbers, for the document's lookups by id (PrefixIds): cheaper from bytes than from strings.
  const leads = new Float64Array(opCount);
  for (let i = 0; i < opCount; i++) leads[i] = lead36Bytes(r.bytes, idsAt + i * 64);
  const meta: PrefixEntry[] = new Array(opCount);
  for (let i = 0; i < opCount; i++) {
    const a = authors[r.uvarint()];
    if (a === undefined) throw new Refused('op author out of range');
    const seq = r.uvarint();
    const lamport = r.uvarint();
    if (seq < 1 || lamport < 1 || seq > LIMITS.maxCounter || lamport > LIMITS.maxCounter) throw new Refused('op seq or lamport out of range');
    meta[i] = { id: idsText.slice(i * 64, i * 64 + 64), author: a, seq, lamport, bytes: undefined };
  }
  const op = (i: number) => { const m = meta[i]; if (m === undefined) throw new Refused('op index out of range'); return m; };
  const clock = r.uvarint();
  const heads: OpId[] = [];
  for (let n = r.count(1), i = 0; i < n; i++) heads.push(op(r.uvarint()).id);
  const tips: AuthorTip[] = [];
  let counted = 0;
  for (let n = r.count(4), i = 0; i < n; i++) {
    const a = authors[r.uvarint()];
    if (a === undefined) throw new Refused('tip author out of range');
    const seq = r.uvarint();
    const tip = op(r.uvarint());
    const count = r.uvarint();
    if (tip.author !== a || tip.seq !== seq) throw new Refused('an author tip disagrees with its op');
    counted += count;
    tips.push({ author: a, seq, id: tip.id, count });
  }
  if (counted !== opCount) throw new Refused('author op counts do not add up to the ops');
  let maxLamport = 0;
  for (const m of meta) if (m.lamport > maxLamport) maxLamport = m.lamport;
  if (clock !== maxLamport) throw new Refused('clock is not the greatest lamport');

  const doc = new Document(options);
  doc.restorePrefix(meta, tips, heads, clock, leads);
  // Containers and elements are named by (op, action index); the scan keys
  // them by the number (op + 1) × 1024 + index, so its checks hash small
  // integers instead of 66-character ids. It checks everything a decode of a
  // container will meet and records where each one's content starts: the
  // containers themselves are decoded on first use (ContainerTable).
  const ROOT_KEY = 0;
  const NONE = -1;
  const refKey = (): number => {
    const k = r.uvarint();
    if (k === 0) return NONE;
    if (k === 1) return ROOT_KEY;
    op(k - 2);
    const index = r.uvarint();
    if (index >= LIMITS.maxActions) throw new Refused('action index out of range');
    return (k - 1) * 1024 + index;
  };
  /** Checks a stamp (op, action index) and returns its action's key. */
  const stampKey = (): number => {
    const i = r.uvarint();
    op(i);
    const index = r.uvarint();
    if (index >= LIMITS.maxActions) throw new Refused('action index out of range');
    return (i + 1) * 1024 + index;
  };
  /** Checks a value; returns its tag. */
  const valueTag = (): number => {
    const tag = r.byte();
    if (tag !== 5 && tag !== 6) checkedScalar(r, strings, tag);
    return tag;
  };
  const containerCount = r.count(4);
  if (containerCount === 0) throw new Refused('no root container');
  const layout: ContainerLayout = {
    keys: new Float64Array(containerCount),
    offsets: new Float64Array(containerCount),
    kinds: new Uint8Array(containerCount),
    parents: new Int32Array(containerCount),
    depths: new Uint8Array(containerCount),
    ordinal: new IntTable(containerCount),
    // Elements: about as many as containers on a board (sized once; it grows past that).
    elementList: new IntTable(containerCount),
  };
  // Values that name containers (key, kind byte), checked once every container is scanned.
  const made: number[] = [];
  for (let n = 0; n < containerCount; n++) {
    const key = refKey();
    const kindByte = r.byte();
    const depth = r.uvarint();
    const parentKey = refKey();
    if (key === NONE || kindByte > 1) throw new Refused('bad container header');
    let parent = -1;
    if (key === ROOT_KEY) {
      if (n !== 0 || kindByte !== 0 || depth !== 0 || parentKey !== NONE) throw new Refused('the root must come first, as a map');
    } else {
      parent = parentKey === NONE ? -1 : (layout.ordinal.get(parentKey) ?? -1);
      if (parent < 0 || depth !== layout.depths[parent]! + 1 || depth > LIMITS.maxDepth) throw new Refused('a container without a restored parent');
    }
    if (!layout.ordinal.add(key, n)) throw new Refused('a repeated container');
    layout.keys[n] = key;
    layout.kinds[n] = kindByte;
    layout.parents[n] = parent;
    layout.depths[n] = depth;
    layout.offsets[n] = r.pos;
    if (kindByte === 0) {
      for (let f = r.count(3), i = 0; i < f; i++) {
        if (strings[r.uvarint()] === undefined) throw new Refused('key index out of range');
        const tag = valueTag();
        const k = stampKey();
        if (tag === 5 || tag === 6) made.push(k, tag - 5);
      }
    } else {
      for (let e = r.count(4), i = 0; i < e; i++) {
        const k = stampKey();
        const tombstone = r.byte();
        if (tombstone > 1) throw new Refused('bad tombstone flag');
        if (!layout.elementList.add(k, n * 2 + tombstone)) throw new Refused('a list element in two lists');
        const tag = valueTag();
        if (tag === 5 || tag === 6) made.push(k, tag - 5);
      }
    }
  }
  const state = doc.state;
  const source = new SnapshotContainers(r, strings, meta, layout, (id) => doc.positionOf(id));
  for (let n = r.count(2), i = 0; i < n; i++) {
    const at = layout.ordinal.get(refKey());
    if (at === undefined || layout.parents[at] !== 0) throw new Refused('a root child that is not under the root');
    state.rootChildren.push(source.rootChild(at));
  }
  const derived = r.byte() === 1 ? readDerived(r, strings, meta, 0) : undefined;
  if (r.pos !== r.bytes.length) throw new Refused('trailing bytes');
  // Every container value must name a container of its kind, or JSON and later ops would disagree with a replay.
  for (let i = 0; i < made.length; i += 2) {
    const at = layout.ordinal.get(made[i]!);
    if (at === undefined || layout.kinds[at] !== made[i + 1]) throw new Refused('a value names a missing container');
  }
  state.containers.attach(source);
  return { ok: true, doc, ops: opCount, derived };
}

/** A value of tag 0–4 or 7 (null, booleans, numbers, strings), checked as it is read. */
function checkedScalar(r: Reader, strings: readonly string[], tag: number): Value {
  switch (tag) {
    case 0: return null;
    case 1: return false;
    case 2: return true;
    case 3: { const x = r.float(); if (!Number.isFinite(x) || Object.is(x, -0)) throw new Refused('bad number'); return x; }
    case 4: { const x = strings[r.uvarint()]; if (x === undefined) throw new Refused('string index out of range'); return x; }
    case 7: { const x = r.uvarint(); if (!Number.isSafeInteger(x)) throw new Refused('bad number'); return x; }
    default: throw new Refused('unknown value tag');
  }
}

/** A derived value (encodeSnapshot), checked as it is read. */
function readDerived(r: Reader, strings: readonly string[], meta: readonly PrefixEntry[], depth: number): unknown {
  if (depth > DERIVED_DEPTH) throw new Refused('derived data nests too deep');
  const tag = r.byte();
  switch (tag) {
    case 8: {
      const out: unknown[] = [];
      for (let n = r.count(1), i = 0; i < n; i++) out.push(readDerived(r, strings, meta, depth + 1));
      return out;
    }
    case 9: {
      const out: Record<string, unknown> = {};
      for (let n = r.count(2), i = 0; i < n; i++) {
        const k = strings[r.uvarint()];
        if (k === undefined) throw new Refused('key index out of range');
        if (FORBIDDEN_KEYS.has(k)) throw new Refused(`a forbidden key ${k}`);
        out[k] = readDerived(r, strings, meta, depth + 1);
      }
      return out;
    }
    case 10: {
      const m = meta[r.uvarint() - 2];
      if (m === undefined) throw new Refused('op index out of range');
      const index = r.uvarint();
      if (index >= LIMITS.maxActions) throw new Refused('action index out of range');
      return actionObjId(m.id, index);
    }
    default: return checkedScalar(r, strings, tag);
  }
}

/** Where the scan found each container: by ordinal (creation order), and the ordinals by key. */
interface ContainerLayout {
  readonly keys: Float64Array;
  /** Where each container's content (after its header) starts. */
  readonly offsets: Float64Array;
  /** 0 map, 1 list. */
  readonly kinds: Uint8Array;
  /** The parent's ordinal; −1 for the root. */
  readonly parents: Int32Array;
  readonly depths: Uint8Array;
  readonly ordinal: IntTable;
  /** An element's key → the ordinal of its list × 2, + 1 for a tombstone. */
  readonly elementList: IntTable;
}

/**
 * A scanned snapshot's containers, decoded one at a time on demand
 * (ContainerTable). The scan checked every byte a decode reads, so a decode
 * cannot fail; it returns fresh objects each time.
 */
class SnapshotContainers implements ContainerSource {
  readonly count: number;
  /**
   * The root's children by id: what an open looks up (the board's lists and
   * maps), found without the document's index of op ids (built on first use).
   */
  private readonly rootChildren = new Map<ObjId, number>();
  /** One scratch stamp: registers and list elements copy its fields. */
  private readonly scratch = { lamport: 0, author: '', op: '', index: 0 };

  constructor(
    private readonly r: Reader, private readonly strings: readonly string[], private readonly meta: readonly PrefixEntry[],
    private readonly layout: ContainerLayout, private readonly positionOf: (op: OpId) => number | undefined,
  ) {
    this.count = layout.keys.length;
  }

  idAt(ordinal: number): ObjId {
    return this.idOfKey(this.layout.keys[ordinal]!);
  }

  /** The id of a child of the root, remembered for lookups. */
  rootChild(ordinal: number): ObjId {
    const id = this.idAt(ordinal);
    this.rootChildren.set(id, ordinal);
    return id;
  }

  ids(): ObjId[] {
    const out: ObjId[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.idAt(i);
    return out;
  }

  decode(id: ObjId): Container | undefined {
    const at = this.ordinalOf(id);
    return at === undefined ? undefined : this.decodeAt(at, id);
  }

  listOf(elem: ObjId): ObjId | undefined {
    const at = this.element(elem);
    return at === undefined ? undefined : this.idAt(at >> 1);
  }

  deleted(elem: ObjId): boolean | undefined {
    const at = this.element(elem);
    return at === undefined ? undefined : (at & 1) === 1;
  }

  header(id: ObjId): ContainerHeader | undefined {
    const at = this.ordinalOf(id);
    if (at === undefined) return undefined;
    const parent = this.layout.parents[at]!;
    return { kind: this.layout.kinds[at] === 0 ? 'map' : 'list', depth: this.layout.depths[at]!, parent: parent < 0 ? null : this.idAt(parent) };
  }

  private element(elem: ObjId): number | undefined {
    const key = this.keyOf(elem);
    return key === undefined ? undefined : this.layout.elementList.get(key);
  }

  private ordinalOf(id: ObjId): number | undefined {
    const at = this.rootChildren.get(id);
    if (at !== undefined) return at;
    const key = this.keyOf(id);
    return key === undefined ? undefined : this.layout.ordinal.get(key);
  }

  private idOfKey(key: number): ObjId {
    return key === 0 ? ROOT : actionObjId(this.meta[Math.floor(key / 1024) - 1]!.id, key % 1024);
  }

  private keyOf(id: ObjId): number | undefined {
    if (id === ROOT) return 0;
    if (!isObjIdForm(id)) return undefined;
    const index = Number(id.slice(65));
    if (index >= LIMITS.maxActions) return undefined;
    // Positions past the prefix are ops applied since: not in the snapshot.
    const i = this.positionOf(id.slice(0, 64));
    return i === undefined || i >= this.meta.length ? undefined : (i + 1) * 1024 + index;
  }

  private stamp(): Stamp {
    const r = this.r;
    const m = this.meta[r.uvarint()]!;
    const s = this.scratch;
    s.lamport = m.lamport; s.author = m.author; s.op = m.id; s.index = r.uvarint();
    return s;
  }

  private value(): Value {
    const r = this.r;
    switch (r.byte()) {
      case 0: return null;
      case 1: return false;
      case 2: return true;
      case 3: return r.float();
      case 4: return this.strings[r.uvarint()]!;
      case 5: return MAKE_MAP;
      case 6: return MAKE_LIST;
      default: return r.uvarint();
    }
  }

  private decodeAt(at: number, id: ObjId): Container {
    const { layout, r } = this;
    const parentAt = layout.parents[at]!;
    const parent = parentAt < 0 ? null : this.idAt(parentAt);
    const depth = layout.depths[at]!;
    r.pos = layout.offsets[at]!;
    if (layout.kinds[at] === 0) {
      const map = new LwwMap();
      for (let f = r.uvarint(), i = 0; i < f; i++) {
        const field = this.strings[r.uvarint()]!;
        const v = this.value();
        map.restore(field, v, this.stamp());
      }
      return { kind: 'map', id, depth, parent, map };
    }
    const els: ListElement[] = [];
    for (let e = r.uvarint(), i = 0; i < e; i++) {
      const s = this.stamp();
      const deleted = r.byte() === 1;
      const el = new ListElement(undefined, s, this.value(), undefined);
      el.deleted = deleted;
      els.push(el);
    }
    const list = new RgaList();
    list.restore(els);
    return { kind: 'list', id, depth, parent, list };
  }
}
