// Received ops, from a peer or a backup file (REPL3, REPL14, REPL16): checked
// off the replica's thread where a verifier worker exists, then applied in
// call order on the replica's serial queue, which local commands share. The
// replica hands each applied batch on (persist, board index, sync).
import type { Document, IngestResult, IngestSession, Op, OpId } from '../core/index.js';
import type { Verifier } from './verifier.js';
import { frameIds, type WireVerifier } from './wire-verifier.js';

/** Received batches from this many ops on go to the wire verifier (REPL14); smaller ones verify in this thread. */
const WIRE_MIN_FRAMES = 16;

const now = (): number => globalThis.performance?.now() ?? 0;

/** Where received ops spend their time, cumulative ms per phase (the bench's breakdown; the replica adds its own). */
export interface IngestTimes {
  batches: number;
  ops: number;
  decodeMs: number;
  verifyWallMs: number;
  verifyWaitMs: number;
  applyMs: number;
  afterApplyMs: number;
  indexMs: number;
  flushMs: number;
}

export interface IngestPipelineOptions {
  readonly doc: Document;
  /** Verifies in this thread: live ops, and everything where no wire verifier exists. */
  readonly verifier: Verifier;
  /** Hashes and verifies bigger batches on another thread (REPL14). */
  readonly wireVerifier?: WireVerifier;
  /** Runs `fn` after every task queued before it (the replica's serial queue). */
  readonly serial: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Called in the queue with each batch's applied ops: persist, index, sync. */
  readonly afterApply: (ops: readonly Op[], origin: string) => void;
}

export class IngestPipeline {
  readonly times: IngestTimes = { batches: 0, ops: 0, decodeMs: 0, verifyWallMs: 0, verifyWaitMs: 0, applyMs: 0, afterApplyMs: 0, indexMs: 0, flushMs: 0 };
  /** Op id → settles once the batch checking a copy of it has been applied (REPL16). */
  private readonly inFlight = new Map<OpId, Promise<void>>();

  constructor(private readonly options: IngestPipelineOptions) {}

  /** Ingests ops from any source; returns the core's per-op outcomes. */
  ingest(frames: readonly unknown[], origin: string): Promise<IngestResult> {
    const wire = this.options.wireVerifier;
    // Live ops (a few at a time) skip the thread hop: latency over throughput.
    if (wire !== undefined && frames.length >= WIRE_MIN_FRAMES && frames.every((f) => f instanceof Uint8Array)) return this.viaWire(wire, frames as Uint8Array[], origin);
    const stats = this.times;
    const t = now();
    const session = this.options.doc.beginIngest(frames);
    stats.batches++;
    stats.ops += frames.length;
    stats.decodeMs += now() - t;
    // Verification of several batches overlaps where the verifier runs off
    // this thread (Chromium's WebCrypto does not: REPL14), while applying
    // stays in call order: the serial queue.
    const verified = (async () => {
      const v0 = now();
      while (session.pending) session.resolve(await this.options.verifier.verify(session.requests()));
      stats.verifyWallMs += now() - v0;
    })();
    return this.applyInOrder(verified.then(() => session), origin);
  }

  /**
   * The pipelined path: the wire verifier checks this batch's signatures on
   * another thread while this one decodes and applies earlier batches; the
   * batch is decoded with the ids this thread computed as soon as its
   * verdicts arrive, and applied in call order (REPL3, REPL16, CORE8).
   *
   * Only copies that could be applied are verified (REPL16): a room's peers
   * all stream their catch-up to a joiner, so most copies are duplicates. A
   * copy of an op the document holds needs no check (the core reports it as
   * a duplicate). A copy of an op that an earlier batch is still checking
   * waits until that batch is applied, and is checked only if the earlier
   * copy did not make it (a bad copy never shadows a good one, CORE8b).
   */
  private viaWire(wire: WireVerifier, frames: Uint8Array[], origin: string): Promise<IngestResult> {
    const { doc } = this.options;
    const stats = this.times;
    stats.batches++;
    stats.ops += frames.length;
    const v0 = now();
    const { hex, raw } = frameIds(frames);
    let landed!: () => void;
    const done = new Promise<void>((resolve) => { landed = resolve; });
    const fresh: number[] = [];
    const later: number[] = [];
    const earlier = new Set<Promise<void>>();
    for (let i = 0; i < frames.length; i++) {
      const id = hex[i];
      if (id === undefined || doc.holds(id)) continue; // not an op (the decoder says why), or a duplicate
      const checking = this.inFlight.get(id);
      if (checking !== undefined && checking !== done) { later.push(i); earlier.add(checking); continue; }
      fresh.push(i); // (a second copy in this same batch is checked too: each copy on its own signature)
      this.inFlight.set(id, done);
    }
    const valid = new Array<boolean>(frames.length).fill(false);
    const check = async (which: readonly number[]): Promise<void> => {
      if (which.length === 0) return;
      const ids = new Uint8Array(32 * which.length);
      which.forEach((i, k) => ids.set(raw.subarray(32 * i, 32 * i + 32), 32 * k));
      const v = await wire.check(which.map((i) => frames[i]!), ids);
      which.forEach((i, k) => { valid[i] = v.valid[k] === true; });
    };
    const decoded = (async () => {
      await check(fresh);
      if (later.length > 0) {
        await Promise.all(earlier);
        await check(later.filter((i) => !doc.holds(hex[i]!)));
      }
      stats.verifyWallMs += now() - v0;
      const t = now();
      const session = doc.beginIngest(frames, hex);
      session.resolveBy((i) => valid[i]!);
      stats.decodeMs += now() - t;
      return session;
    })();
    return this.applyInOrder(decoded, origin).finally(() => {
      for (const i of fresh) if (this.inFlight.get(hex[i]!) === done) this.inFlight.delete(hex[i]!);
      landed();
    });
  }

  /** Applies a verified batch in call order (the serial queue), then hands it on (REPL3). */
  private applyInOrder(ready: Promise<IngestSession>, origin: string): Promise<IngestResult> {
    const stats = this.times;
    return this.options.serial(async () => {
      const w0 = now();
      const session = await ready;
      stats.verifyWaitMs += now() - w0;
      let t = now();
      const result = session.finish();
      stats.applyMs += now() - t;
      t = now();
      this.options.afterApply(result.applied, origin);
      stats.afterApplyMs += now() - t;
      return result;
    });
  }
}
