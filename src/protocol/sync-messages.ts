// Wire messages of the peer-to-peer sync protocol (docs/SPEC.md, SYNC1–SYNC4).
// Binary, one schema per message: byte 0 = protocol version, byte 1 = type,
// then the fields. Every count and length is capped, and the decoder never
// throws: hostile bytes give `{ ok: false, reason }`. A message larger than one
// transport frame (16 KiB, the data-channel chunk size) travels as `chunk`
// frames that `ChunkAssembler` puts back together under its own caps (SYNC3).
// An `ops` message may travel deflated to a peer that said it reads that
// (`caps`, SYNC19); it decodes to the `ops` message it holds.
// Pure: imports only from src/core and the capped inflater; deflating uses
// the platform's CompressionStream.
import { ByteWriter, fromHex, LIMITS, toHex, utf8Decode, utf8Encode } from '../core/index.js';
import { inflateRaw } from './inflate.js';

export const PROTOCOL_VERSION = 1;
/** Largest frame handed to a transport (SYNC3). */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Largest message after chunk reassembly (SYNC3). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest op carried (the core's own cap, CORE11). */
export const MAX_OP_BYTES = LIMITS.maxOpBytes;
export const MAX_AUTHORS = 10_000;
export const MAX_HEADS = 1_000;
export const MAX_WANT_IDS = 1_000;
export const MAX_OPS_PER_MESSAGE = 4_096;
export const MAX_NAME_BYTES = 128;
export const MAX_STATE_BYTES = 4_096;
export const MAX_REASON_BYTES = 256;
export const MAX_CHUNKS = 128;
/** Reassemblies one receiver keeps open at once (SYNC3). */
export const MAX_CONCURRENT_REASSEMBLIES = 4;

const TYPE = { hello: 1, ops: 2, want: 3, heads: 4, presence: 5, bye: 6, chunk: 7, caps: 8, deflated: 9 } as const;
/** `caps` feature bit: this side reads `deflated` messages (SYNC19). Unknown bits are ignored. */
export const FEATURE_DEFLATE = 1;
/** An `ops` message smaller than this goes out as it is: a live edit's few ops gain little and would wait for the encoder. */
export const MIN_DEFLATE_BYTES = 1024;
/** Bytes a chunk frame spends before its payload, at most: version, type, three uvarints. */
const CHUNK_HEADER_MAX = 2 + 5 + 3 + 3;

export type HelloMessage = {
  type: 'hello'; replicaId: string; name?: string;
  /** [author hex, highest seq] pairs; an absent author means 0. */
  versionVector: [string, number][];
  heads: string[];
};
export type OpsMessage = { type: 'ops'; ops: Uint8Array[] };
export type WantMessage = { type: 'want'; ids: string[] };
export type HeadsMessage = { type: 'heads'; heads: string[] };
export type PresenceMessage = { type: 'presence'; name: string; state: string };
export type ByeMessage = { type: 'bye'; reason: string };
export type ChunkMessage = { type: 'chunk'; msgId: number; index: number; count: number; bytes: Uint8Array };
/** What this side can read beyond version 1's messages (SYNC19): sent once, before `hello`. */
export type CapsMessage = { type: 'caps'; features: number };
/** Raw DEFLATE of an encoded `ops` message (SYNC19). Only written: it decodes to the `ops` message it holds. */
export type DeflatedMessage = { type: 'deflated'; bytes: Uint8Array };
export type SyncMessage = HelloMessage | OpsMessage | WantMessage | HeadsMessage | PresenceMessage | ByeMessage | ChunkMessage | CapsMessage | DeflatedMessage;

/** A message as decoded: a `deflated` one comes out as the `ops` message it holds. */
export type DecodedMessage = Exclude<SyncMessage, DeflatedMessage>;
export type DecodeMessageResult = { ok: true; msg: DecodedMessage } | { ok: false; reason: string };

// ---- writing (programmer misuse throws: TypeError for shape, RangeError for caps) ----

class Writer extends ByteWriter {
  /** @param capacity expected size: an `ops` message is written without regrowing (catch-up sends 128 KiB ones). */
  constructor(capacity = 64) { super(new Uint8Array(capacity)); }
  override uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > LIMITS.maxCounter) throw new RangeError(`not a uint ≤ 2^48: ${n}`);
    super.uvarint(n);
  }
  string(s: string, max: number): void {
    const b = typeof s === 'string' ? utf8Encode(s) : undefined;
    if (!b) throw new TypeError('not a well-formed string');
    if (b.length > max) throw new RangeError(`string of ${b.length} bytes exceeds ${max}`);
    this.uvarint(b.length); this.bytes(b);
  }
  id(hex: string): void {
    const b = fromHex(hex);
    if (!b || b.length !== 32) throw new TypeError(`not a 32-byte hex id: ${hex}`);
    this.bytes(b);
  }
  ids(list: readonly string[], max: number): void {
    if (list.length > max) throw new RangeError(`${list.length} ids exceed ${max}`);
    this.uvarint(list.length);
    for (const id of list) this.id(id);
  }
  result(): Uint8Array { return this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length); }
}

/** Encodes one message. Throws on misuse (over a cap, bad id); see `encodeFrames` for transport-sized pieces. */
export function encodeMessage(msg: SyncMessage): Uint8Array {
  const w = new Writer(msg.type === 'ops' && msg.ops.length <= MAX_OPS_PER_MESSAGE ? opsMessageSize(msg.ops.map((o) => o.length)) : msg.type === 'chunk' ? msg.bytes.length + CHUNK_HEADER_MAX : 64);
  w.byte(PROTOCOL_VERSION);
  w.byte(TYPE[msg.type]);
  switch (msg.type) {
    case 'hello':
      w.string(msg.replicaId, MAX_NAME_BYTES);
      if (msg.name === undefined) w.byte(0); else { w.byte(1); w.string(msg.name, MAX_NAME_BYTES); }
      if (msg.versionVector.length > MAX_AUTHORS) throw new RangeError(`more than ${MAX_AUTHORS} authors`);
      w.uvarint(msg.versionVector.length);
      for (const [author, seq] of msg.versionVector) { w.id(author); w.uvarint(seq); }
      w.ids(msg.heads, MAX_HEADS);
      break;
    case 'ops':
      if (msg.ops.length > MAX_OPS_PER_MESSAGE) throw new RangeError(`more than ${MAX_OPS_PER_MESSAGE} ops`);
      w.uvarint(msg.ops.length);
      for (const op of msg.ops) {
        if (op.length === 0 || op.length > MAX_OP_BYTES) throw new RangeError(`op of ${op.length} bytes`);
        w.uvarint(op.length); w.bytes(op);
      }
      break;
    case 'want': w.ids(msg.ids, MAX_WANT_IDS); break;
    case 'heads': w.ids(msg.heads, MAX_HEADS); break;
    case 'presence': w.string(msg.name, MAX_NAME_BYTES); w.string(msg.state, MAX_STATE_BYTES); break;
    case 'bye': w.string(msg.reason, MAX_REASON_BYTES); break;
    case 'chunk':
      w.uvarint(msg.msgId); w.uvarint(msg.index); w.uvarint(msg.count);
      if (msg.bytes.length === 0) throw new RangeError('empty chunk');
      w.bytes(msg.bytes);
      break;
    case 'caps': w.uvarint(msg.features); break;
    case 'deflated':
      if (msg.bytes.length === 0) throw new RangeError('empty deflated message');
      w.bytes(msg.bytes);
      break;
  }
  const out = w.result();
  const cap = msg.type === 'chunk' ? MAX_FRAME_BYTES : MAX_MESSAGE_BYTES;
  if (out.length > cap) throw new RangeError(`message of ${out.length} bytes exceeds ${cap}`);
  return out;
}

/** Encoded size of an `ops` message holding ops of these sizes (for packing to a frame). */
export function opsMessageSize(opSizes: readonly number[]): number {
  let n = 2 + varintSize(opSizes.length);
  for (const s of opSizes) n += varintSize(s) + s;
  return n;
}

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) { n = Math.floor(n / 0x80); size++; }
  return size;
}

/**
 * Encodes a message as transport frames ≤ `MAX_FRAME_BYTES`: itself when it
 * fits, else `chunk` frames tagged `msgId` (SYNC3).
 */
export function encodeFrames(msg: SyncMessage, msgId: number): Uint8Array[] {
  return messageFrames(encodeMessage(msg), msgId);
}

/** Whether this platform can write `deflated` messages (CompressionStream; every platform can read them). */
export const canDeflate: boolean = typeof CompressionStream === 'function';

/**
 * An encoded `ops` message as a `deflated` one (SYNC19), or as it is when
 * deflating does not make it smaller. Native zlib (CompressionStream) off
 * the caller's turn: a board's 128 KiB catch-up message takes ~1 ms there,
 * ~3 ms in a JS deflater (fflate, level 1, in a Chromium worker).
 */
export async function deflateMessage(whole: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate-raw');
  const out = new Response(stream.readable).arrayBuffer();
  const writer = stream.writable.getWriter();
  void writer.write(whole as Uint8Array<ArrayBuffer>).catch(() => undefined);
  void writer.close().catch(() => undefined);
  const packed = encodeMessage({ type: 'deflated', bytes: new Uint8Array(await out) });
  return packed.length < whole.length ? packed : whole;
}

/** An encoded message as transport frames: itself when it fits one, else `chunk` frames tagged `msgId` (SYNC3). */
export function messageFrames(whole: Uint8Array, msgId: number): Uint8Array[] {
  if (whole.length <= MAX_FRAME_BYTES) return [whole];
  const piece = MAX_FRAME_BYTES - CHUNK_HEADER_MAX;
  const count = Math.ceil(whole.length / piece);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(encodeMessage({ type: 'chunk', msgId, index: i, count, bytes: whole.subarray(i * piece, (i + 1) * piece) }));
  }
  return frames;
}

// ---- reading (never throws) ----

class Fail { constructor(readonly reason: string) {} }

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  get left(): number { return this.b.length - this.pos; }
  byte(): number {
    if (this.pos >= this.b.length) throw new Fail('truncated');
    return this.b[this.pos++]!;
  }
  /** The whole input. */
  get bytes(): Uint8Array { return this.b; }
  /** A copy of every byte not yet read (the position does not move). */
  rest(): Uint8Array {
    return this.b.slice(this.pos);
  }
  take(n: number): Uint8Array {
    if (n > this.left) throw new Fail('truncated');
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
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
  count(max: number, what: string): number {
    const n = this.uvarint();
    if (n > max) throw new Fail(`${n} ${what} exceed ${max}`);
    return n;
  }
  string(max: number): string {
    const len = this.count(max, 'string bytes');
    if (len > this.left) throw new Fail('truncated');
    const s = utf8Decode(this.b, this.pos, this.pos + len);
    if (s === undefined) throw new Fail('invalid UTF-8');
    this.pos += len;
    return s;
  }
  id(): string {
    if (32 > this.left) throw new Fail('truncated');
    const s = toHex(this.b.subarray(this.pos, this.pos + 32));
    this.pos += 32;
    return s;
  }
  ids(max: number, what: string): string[] {
    const n = this.count(max, what);
    if (n * 32 > this.left) throw new Fail('truncated');
    const out: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const id = this.id();
      if (seen.has(id)) throw new Fail(`duplicate id in ${what}`);
      seen.add(id);
      out.push(id);
    }
    return out;
  }
}

export interface DecodeLimits {
  /** Largest accepted input (default `MAX_FRAME_BYTES`; reassembled messages use `MAX_MESSAGE_BYTES`). */
  readonly maxBytes?: number;
  /** Whether a `chunk` message is acceptable (false inside a reassembled message: no nesting). */
  readonly allowChunk?: boolean;
  /**
   * The input is a buffer the caller made and hands over (a reassembled
   * message): ops may be views of it without a copy. Never for a frame a
   * transport delivered.
   */
  readonly owned?: boolean;
}

/** Decodes one frame. Never throws: anything malformed gives a reason (SYNC4). */
export function decodeMessage(frame: unknown, limits: DecodeLimits = {}): DecodeMessageResult {
  const maxBytes = limits.maxBytes ?? MAX_FRAME_BYTES;
  if (!(frame instanceof Uint8Array)) return { ok: false, reason: 'not bytes' };
  if (frame.length > maxBytes) return { ok: false, reason: `frame of ${frame.length} bytes exceeds ${maxBytes}` };
  if (frame.length < 2) return { ok: false, reason: 'truncated' };
  if (frame[0] !== PROTOCOL_VERSION) return { ok: false, reason: `unknown protocol version ${frame[0]}` };
  const r = new Reader(frame);
  r.pos = 2;
  try {
    const msg = readBody(r, frame[1]!, limits.allowChunk ?? true, limits.owned ?? false);
    if (r.left !== 0) return { ok: false, reason: 'trailing bytes' };
    return { ok: true, msg };
  } catch (e) {
    return { ok: false, reason: e instanceof Fail ? e.reason : 'malformed' };
  }
}

function readBody(r: Reader, type: number, allowChunk: boolean, owned: boolean): DecodedMessage {
  switch (type) {
    case TYPE.hello: {
      const replicaId = r.string(MAX_NAME_BYTES);
      if (replicaId.length === 0) throw new Fail('empty replica id');
      const flag = r.byte();
      if (flag > 1) throw new Fail('bad name flag');
      const name = flag === 1 ? r.string(MAX_NAME_BYTES) : undefined;
      const n = r.count(MAX_AUTHORS, 'authors');
      if (n * 33 > r.left) throw new Fail('truncated');
      const versionVector: [string, number][] = [];
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const author = r.id();
        const seq = r.uvarint();
        if (seen.has(author)) throw new Fail('duplicate author in version vector');
        seen.add(author);
        versionVector.push([author, seq]);
      }
      const heads = r.ids(MAX_HEADS, 'heads');
      return name === undefined ? { type: 'hello', replicaId, versionVector, heads } : { type: 'hello', replicaId, name, versionVector, heads };
    }
    case TYPE.ops: {
      const n = r.count(MAX_OPS_PER_MESSAGE, 'ops');
      const ops: Uint8Array[] = [];
      // One copy of the rest of the message, and each op a view of it: the
      // message owns its bytes (never the transport's buffer) without a
      // buffer per op.
      const base = owned ? 0 : r.pos;
      const own = owned ? r.bytes : r.rest();
      for (let i = 0; i < n; i++) {
        const len = r.count(MAX_OP_BYTES, 'op bytes');
        if (len === 0) throw new Fail('empty op');
        if (len > r.left) throw new Fail('truncated');
        ops.push(own.subarray(r.pos - base, r.pos - base + len));
        r.pos += len;
      }
      return { type: 'ops', ops };
    }
    case TYPE.want: return { type: 'want', ids: r.ids(MAX_WANT_IDS, 'wanted ids') };
    case TYPE.heads: return { type: 'heads', heads: r.ids(MAX_HEADS, 'heads') };
    case TYPE.presence: return { type: 'presence', name: r.string(MAX_NAME_BYTES), state: r.string(MAX_STATE_BYTES) };
    case TYPE.bye: return { type: 'bye', reason: r.string(MAX_REASON_BYTES) };
    case TYPE.chunk: {
      if (!allowChunk) throw new Fail('chunk inside a chunked message');
      const msgId = r.uvarint();
      const index = r.uvarint();
      const count = r.uvarint();
      if (count < 2 || count > MAX_CHUNKS) throw new Fail(`chunk count ${count} outside 2..${MAX_CHUNKS}`);
      if (index >= count) throw new Fail('chunk index past its count');
      if (r.left === 0) throw new Fail('empty chunk');
      return { type: 'chunk', msgId, index, count, bytes: r.take(r.left) };
    }
    case TYPE.caps: return { type: 'caps', features: r.uvarint() };
    case TYPE.deflated: {
      if (r.left === 0) throw new Fail('empty deflated message');
      // The inflater stops at the cap: a bomb costs at most MAX_MESSAGE_BYTES of output.
      const inflated = inflateRaw(r.bytes.subarray(r.pos), MAX_MESSAGE_BYTES);
      if (!inflated.ok) throw new Fail(inflated.reason);
      r.pos = r.bytes.length;
      const inner = inflated.bytes;
      if (inner.length < 2) throw new Fail('deflated: truncated message');
      if (inner[0] !== PROTOCOL_VERSION) throw new Fail(`deflated: unknown protocol version ${inner[0]}`);
      if (inner[1] !== TYPE.ops) throw new Fail('deflated: holds a message that is not ops');
      const ir = new Reader(inner);
      ir.pos = 2;
      const msg = readBody(ir, TYPE.ops, false, true);
      if (ir.left !== 0) throw new Fail('deflated: trailing bytes');
      return msg;
    }
    default: throw new Fail(`unknown message type ${type}`);
  }
}

// ---- reassembly ----

export type ChunkResult = { ok: true; msg?: Exclude<DecodedMessage, ChunkMessage> } | { ok: false; reason: string };

interface Assembly { count: number; next: number; size: number; parts: Uint8Array[] }

/**
 * Reassembles chunked messages from one peer (SYNC3). Chunks of one message
 * arrive in order on an ordered transport; at most `MAX_CONCURRENT_REASSEMBLIES`
 * messages are open at once and each is capped at `MAX_MESSAGE_BYTES`.
 */
export class ChunkAssembler {
  private readonly open = new Map<number, Assembly>();

  constructor(
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
    private readonly maxConcurrent = MAX_CONCURRENT_REASSEMBLIES,
  ) {}

  /** Open reassemblies (for stats and tests). */
  get pending(): number {
    return this.open.size;
  }

  /** Adds one chunk; returns the whole message once its last chunk arrives. Never throws. */
  push(chunk: ChunkMessage): ChunkResult {
    let a = this.open.get(chunk.msgId);
    if (chunk.index === 0) {
      if (a) { this.open.delete(chunk.msgId); return { ok: false, reason: 'chunked message restarted' }; }
      if (this.open.size >= this.maxConcurrent) return { ok: false, reason: 'too many chunked messages at once' };
      a = { count: chunk.count, next: 0, size: 0, parts: [] };
      this.open.set(chunk.msgId, a);
    } else if (!a) return { ok: false, reason: 'chunk of an unknown message' };
    if (chunk.count !== a.count || chunk.index !== a.next) {
      this.open.delete(chunk.msgId);
      return { ok: false, reason: 'chunk out of order' };
    }
    a.size += chunk.bytes.length;
    if (a.size > this.maxMessageBytes) {
      this.open.delete(chunk.msgId);
      return { ok: false, reason: `chunked message exceeds ${this.maxMessageBytes} bytes` };
    }
    a.parts.push(chunk.bytes);
    a.next++;
    if (a.next < a.count) return { ok: true };
    this.open.delete(chunk.msgId);
    const whole = new Uint8Array(a.size);
    let o = 0;
    for (const p of a.parts) { whole.set(p, o); o += p.length; }
    const d = decodeMessage(whole, { maxBytes: this.maxMessageBytes, allowChunk: false, owned: true });
    if (!d.ok) return { ok: false, reason: `reassembled message: ${d.reason}` };
    return { ok: true, msg: d.msg as Exclude<DecodedMessage, ChunkMessage> };
  }
}
