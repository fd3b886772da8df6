// The WireVerifier port and its adapters (CORE2, CORE8): hash and verify
// received ops straight from their wire bytes, off the replica's thread.
//
// Why: in Chromium (156) WebCrypto's Ed25519 verify and SHA-256 digest run
// synchronously on the calling thread (~60–300 µs and ~15–25 µs per op here),
// so "many verifies in flight" does not take them off the replica worker.
// A second worker does, and the replica decodes and applies batch k while the
// verifier hashes and checks batch k + 1 (the catch-up pipeline).
//
// The verdict is still per op on its own signature (CORE8): for frame i, the
// id is SHA-256 of its body (all but the last 64 bytes), and it is valid when
// its signature (the last 64 bytes) verifies over that id under the author key
// it carries (bytes 1..33, CORE3). WebCrypto's refusals are re-judged by noble
// (ZIP215), exactly as WebCryptoVerifier does. The ids come from this
// replica's own code, never from the peer, so the core may trust them: the
// replica hashes the frames itself (`frameIds`, REPL16: it needs the ids to
// skip copies it holds) and hands them over, or the verifier hashes them.
import { LIMITS, SIG_BYTES, sha256, toHex, verifyBytes } from '../core/index.js';

/** Hashes and verifies signed ops given as raw frames. */
export interface WireVerifier {
  /** Human-readable engine name, for the dump. */
  readonly name: string;
  /**
   * For each frame: its op id (SHA-256 of the body, hex; undefined when the
   * frame cannot be an op) and whether its own signature verifies under the
   * author key it names. With `ids` — the caller's own hashes of the frames
   * (`frameIds`, 32 bytes a frame, never a peer's) — the bodies are not
   * hashed again. Never rejects on hostile input.
   */
  check(frames: readonly Uint8Array[], ids?: Uint8Array): Promise<WireVerdicts>;
  /** Releases the engine (terminates a worker). */
  close(): void;
}

export interface WireVerdicts {
  readonly ids: (string | undefined)[];
  readonly valid: boolean[];
}

const AUTHOR_AT = 1;
const MIN_OP_BYTES = 1 + 32 + SIG_BYTES;
const KEY_CACHE_LIMIT = 4096;

/** Imported Ed25519 public keys, once per author (importKey costs as much as a verify). */
export class CryptoKeyCache {
  private readonly keys = new Map<string, Promise<CryptoKey | null>>();

  constructor(private readonly subtle: SubtleCrypto) {}

  /** The key for 32 raw bytes; null when WebCrypto refuses them (noble then judges). */
  get(publicKey: Uint8Array): Promise<CryptoKey | null> {
    let id = '';
    for (let i = 0; i < publicKey.length; i++) id += String.fromCharCode(publicKey[i]!);
    let k = this.keys.get(id);
    if (!k) {
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
      k = this.subtle.importKey('raw', publicKey.slice() as BufferSource, { name: 'Ed25519' }, false, ['verify']).catch(() => null);
      this.keys.set(id, k);
    }
    return k;
  }
}

/** Frames packed into one buffer (so a batch crosses to a worker as one transfer). */
export interface PackedFrames {
  readonly bytes: Uint8Array;
  /** ends[i] = end offset of frame i in `bytes` (frame i starts at ends[i − 1], or 0). */
  readonly ends: Uint32Array;
}

export function packFrames(frames: readonly Uint8Array[]): PackedFrames {
  let n = 0;
  for (const f of frames) n += f.length;
  const bytes = new Uint8Array(n);
  const ends = new Uint32Array(frames.length);
  let o = 0;
  for (let i = 0; i < frames.length; i++) { bytes.set(frames[i]!, o); o += frames[i]!.length; ends[i] = o; }
  return { bytes, ends };
}

/** Raw verdicts: 32 id bytes and one flag byte per frame (bit 0: valid, bit 1: has an id). */
export interface PackedVerdicts {
  readonly ids: Uint8Array;
  readonly flags: Uint8Array;
}

const HAS_ID = 2;
const VALID = 1;

/** Whether bytes [start, end) of `bytes` can be an op at all (a body, an author key and a signature, within the cap). */
function canBeOp(bytes: Uint8Array, start: number, end: number): boolean {
  return end >= start && end - start >= MIN_OP_BYTES && end - start <= LIMITS.maxOpBytes && end <= bytes.length;
}

/**
 * This thread's own op ids of raw frames (SHA-256 of each body, CORE2):
 * hex (undefined where a frame cannot be an op) and the same bytes packed
 * 32 a frame, as `WireVerifier.check` takes them.
 */
export function frameIds(frames: readonly Uint8Array[]): { readonly hex: (string | undefined)[]; readonly raw: Uint8Array } {
  const hex = new Array<string | undefined>(frames.length);
  const raw = new Uint8Array(32 * frames.length);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (!canBeOp(f, 0, f.length)) continue;
    const id = sha256(f.subarray(0, f.length - SIG_BYTES));
    raw.set(id, 32 * i);
    hex[i] = toHex(id);
  }
  return { hex, raw };
}

/**
 * Hashes and verifies packed frames with WebCrypto when `subtle` is given
 * (noble re-judges every refusal), else with noble alone; with `known`
 * (`frameIds`' bytes for these frames) the bodies are not hashed again.
 * Never throws.
 */
export async function checkPacked(packed: PackedFrames, subtle: SubtleCrypto | undefined, keys: CryptoKeyCache | undefined, known?: Uint8Array): Promise<PackedVerdicts> {
  const n = packed.ends.length;
  const ids = new Uint8Array(32 * n);
  const flags = new Uint8Array(n);
  const jobs: Promise<void>[] = [];
  const given = known !== undefined && known.length === 32 * n ? known : undefined;
  for (let i = 0; i < n; i++) {
    const start = i === 0 ? 0 : packed.ends[i - 1]!;
    const end = packed.ends[i]!;
    if (!canBeOp(packed.bytes, start, end)) continue;
    const body = packed.bytes.subarray(start, end - SIG_BYTES);
    const sig = packed.bytes.subarray(end - SIG_BYTES, end);
    const author = packed.bytes.subarray(start + AUTHOR_AT, start + AUTHOR_AT + 32);
    jobs.push((async () => {
      let id: Uint8Array;
      if (given) id = given.subarray(32 * i, 32 * i + 32);
      else {
        try {
          id = subtle ? new Uint8Array(await subtle.digest('SHA-256', body as BufferSource)) : sha256(body);
        } catch {
          id = sha256(body);
        }
      }
      ids.set(id, 32 * i);
      let ok = false;
      const key = subtle && keys ? await keys.get(author) : null;
      if (key !== null) {
        try { ok = await subtle!.verify('Ed25519', key, sig as BufferSource, id as BufferSource); } catch { ok = false; }
      }
      // CORE8: WebCrypto (RFC 8032) accepts a subset of ZIP215; noble decides refusals.
      if (!ok) ok = verifyBytes(sig, id, author);
      flags[i] = HAS_ID | (ok ? VALID : 0);
    })());
  }
  await Promise.all(jobs);
  return { ids, flags };
}

/** Turns raw verdicts into hex ids and booleans. */
export function unpackVerdicts(v: PackedVerdicts, count: number): WireVerdicts {
  const ids: (string | undefined)[] = new Array<string | undefined>(count);
  const valid: boolean[] = new Array<boolean>(count);
  for (let i = 0; i < count; i++) {
    const f = v.flags[i] ?? 0;
    ids[i] = (f & HAS_ID) !== 0 ? toHex(v.ids.subarray(32 * i, 32 * i + 32)) : undefined;
    valid[i] = (f & VALID) !== 0;
  }
  return { ids, valid };
}

/** The same checks on the calling thread (Node, tests, and where workers are missing). */
export class InlineWireVerifier implements WireVerifier {
  readonly name: string;
  private readonly keys: CryptoKeyCache | undefined;

  constructor(private readonly subtle?: SubtleCrypto) {
    this.name = subtle ? 'webcrypto (inline)' : 'noble (inline)';
    this.keys = subtle ? new CryptoKeyCache(subtle) : undefined;
  }

  async check(frames: readonly Uint8Array[], ids?: Uint8Array): Promise<WireVerdicts> {
    return unpackVerdicts(await checkPacked(packFrames(frames), this.subtle, this.keys, ids), frames.length);
  }

  close(): void {}
}

/** The minimal Worker surface used (a real Worker, or a fake in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  terminate(): void;
}

/** Request to the verifier worker (`known`: the frames' ids, when the replica has hashed them). */
export interface VerifyRequest { readonly id: number; readonly bytes: Uint8Array; readonly ends: Uint32Array; readonly known?: Uint8Array }
/** Reply of the verifier worker. */
export interface VerifyReply { readonly id: number; readonly ids: Uint8Array; readonly flags: Uint8Array }

function isReply(d: unknown): d is VerifyReply {
  if (typeof d !== 'object' || d === null) return false;
  const m = d as Record<string, unknown>;
  return typeof m.id === 'number' && m.ids instanceof Uint8Array && m.flags instanceof Uint8Array;
}

function isFailure(d: unknown): d is { id: number; failed: true } {
  return typeof d === 'object' && d !== null && typeof (d as Record<string, unknown>).id === 'number' && (d as Record<string, unknown>).failed === true;
}

/**
 * A dedicated verifier worker (`verify.worker.ts`). Batches cross as one
 * transferred buffer each way. If the worker fails, every pending and later
 * batch is checked inline instead: nothing is lost or left hanging.
 */
export class WorkerWireVerifier implements WireVerifier {
  static readonly NAME = 'webcrypto (verifier worker)';
  readonly name = WorkerWireVerifier.NAME;
  private nextId = 1;
  private readonly pending = new Map<number, { frames: readonly Uint8Array[]; ids: Uint8Array | undefined; resolve: (v: WireVerdicts) => void }>();
  private broken = false;

  constructor(private readonly worker: WorkerLike, private readonly fallback: WireVerifier) {
    worker.onmessage = (event) => {
      const failed = isFailure(event.data) ? this.pending.get(event.data.id) : undefined;
      if (failed) { this.pending.delete((event.data as { id: number }).id); void this.fallback.check(failed.frames, failed.ids).then(failed.resolve); return; }
      if (!isReply(event.data)) return;
      const p = this.pending.get(event.data.id);
      if (!p) return;
      this.pending.delete(event.data.id);
      if (event.data.flags.length !== p.frames.length || event.data.ids.length !== 32 * p.frames.length) { void this.fallback.check(p.frames, p.ids).then(p.resolve); return; }
      p.resolve(unpackVerdicts(event.data, p.frames.length));
    };
    worker.onerror = () => this.fail();
  }

  check(frames: readonly Uint8Array[], ids?: Uint8Array): Promise<WireVerdicts> {
    if (this.broken || frames.length === 0) return this.fallback.check(frames, ids);
    const id = this.nextId++;
    const { bytes, ends } = packFrames(frames);
    // The worker gets a copy of the ids (the fallback keeps the caller's, should the worker fail).
    const known = ids?.slice();
    return new Promise((resolve) => {
      this.pending.set(id, { frames, ids, resolve });
      try {
        this.worker.postMessage({ id, bytes, ends, ...(known ? { known } : {}) } satisfies VerifyRequest, known ? [bytes.buffer, ends.buffer, known.buffer] : [bytes.buffer, ends.buffer]);
      } catch {
        this.fail();
      }
    });
  }

  close(): void {
    this.worker.terminate();
    this.fail();
  }

  private fail(): void {
    this.broken = true;
    for (const [id, p] of this.pending) { this.pending.delete(id); void this.fallback.check(p.frames, p.ids).then(p.resolve); }
  }
}

/**
 * A wire verifier made on first use (APP13): the verifier worker is a
 * thread of its own to start, and an open needs it only once sync runs, so
 * a cold open does not share the machine's cores with its start-up.
 */
export class LazyWireVerifier implements WireVerifier {
  private inner: WireVerifier | undefined;
  private closed = false;

  constructor(private readonly planned: string, private readonly make: () => WireVerifier) {}

  /** The verifier's name once it is made (its start may fall back to another), the planned one before. */
  get name(): string {
    return this.inner?.name ?? this.planned;
  }

  check(frames: readonly Uint8Array[], ids?: Uint8Array): Promise<WireVerdicts> {
    if (this.closed) return Promise.reject(new Error('the wire verifier is closed'));
    this.inner ??= this.make();
    return this.inner.check(frames, ids);
  }

  close(): void {
    this.closed = true;
    this.inner?.close();
  }
}
