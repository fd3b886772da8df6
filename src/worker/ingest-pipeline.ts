// Received ops, from a peer or a backup file (REPL3, REPL14, REPL16, REPL17):
// checked off the replica's thread where a verifier worker exists, then
// applied in call order on the replica's serial queue, which local commands
// share. The replica hands each applied batch on (persist, board index, sync).
// Seals among the frames are checked first; the ops they list by their own
// author need no signature check of their own (CORE18).
import {
  SIG_BYTES, isSealFrame, sameBytes,
  type Document, type IngestResult, type IngestSession, type Op, type OpId, type Outcome, type Seal,
} from '../core/index.js';
import type { SealKeeper } from './seal-keeper.js';
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

/** A copy of an op being checked: its signature bytes, and where its verdict will be (its batch's verdicts, at `k`). */
interface CheckedCopy { readonly sig: Uint8Array; readonly verdicts: Promise<readonly boolean[]>; readonly k: number }

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
  /** Received seals (REPL17); without it a seal frame is rejected like any frame that is not an op. */
  readonly seals?: SealKeeper;
}

/** An author key's bytes in an op frame (CORE3). */
const AUTHOR_AT = 1;

export class IngestPipeline {
  readonly times: IngestTimes = { batches: 0, ops: 0, decodeMs: 0, verifyWallMs: 0, verifyWaitMs: 0, applyMs: 0, afterApplyMs: 0, indexMs: 0, flushMs: 0 };
  /** Op id → the copies checked in batches not applied yet: each one's signature and verdict (REPL16). */
  private readonly checking = new Map<OpId, CheckedCopy[]>();
  /** Settles once every seal received so far is checked: batches wait for it before judging their ops (REPL17). */
  private sealGate: Promise<void> | undefined;

  constructor(private readonly options: IngestPipelineOptions) {}

  /** Ingests ops (and seals) from any source; returns one outcome per frame. */
  ingest(frames: readonly unknown[], origin: string): Promise<IngestResult> {
    const keeper = this.options.seals;
    if (keeper !== undefined && frames.some(isSealFrame)) return this.withSeals(keeper, frames, origin);
    return this.ingestOps(frames, origin);
  }

  /**
   * A batch holding seals: they are checked first (one signature each), and
   * this batch's ops and every later batch's wait for that, so the ops they
   * list are not verified one by one. Outcomes stay in frame order.
   */
  private async withSeals(keeper: SealKeeper, frames: readonly unknown[], origin: string): Promise<IngestResult> {
    const sealAt: number[] = [];
    const opAt: number[] = [];
    frames.forEach((f, i) => (isSealFrame(f) ? sealAt : opAt).push(i));
    const checked = keeper.load().then(() => keeper.check(sealAt.map((i) => frames[i] as Uint8Array)));
    const gate = Promise.all([this.sealGate, checked]).then(() => undefined, () => undefined);
    this.sealGate = gate;
    void gate.then(() => { if (this.sealGate === gate) this.sealGate = undefined; });
    const ops = await this.ingestOps(opAt.map((i) => frames[i]), origin);
    const outcomes = new Array<Outcome>(frames.length);
    opAt.forEach((i, k) => { outcomes[i] = ops.outcomes[k]!; });
    (await checked).forEach((o, k) => { outcomes[sealAt[k]!] = o; });
    return { ...ops, outcomes };
  }

  private ingestOps(frames: readonly unknown[], origin: string): Promise<IngestResult> {
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
    const gate = this.sealGate;
    let sealed: readonly number[] = [];
    const verified = (async () => {
      if (gate !== undefined) await gate;
      sealed = this.acceptSealed(session, origin);
      const v0 = now();
      while (session.pending) session.resolve(await this.options.verifier.verify(session.requests()));
      stats.verifyWallMs += now() - v0;
    })();
    return this.applyInOrder(verified.then(() => session), origin, () => sealed);
  }

  /** Accepts the ops a verified seal by their own author lists (CORE18), tells the keeper which seals it used, and returns their positions. */
  private acceptSealed(session: IngestSession, origin: string): number[] {
    const keeper = this.options.seals;
    if (keeper === undefined || keeper.book.size === 0) return [];
    const used = new Set<Seal>();
    const at = session.acceptSealed((op) => {
      const seal = keeper.book.sealOf(op.id, op.author);
      if (seal !== undefined) used.add(seal);
      return seal !== undefined;
    });
    if (used.size > 0) keeper.used([...used], origin);
    return at;
  }

  /**
   * The pipelined path: the wire verifier checks this batch's signatures on
   * another thread while this one decodes and applies earlier batches; the
   * batch is decoded with the ids this thread computed as soon as its
   * verdicts arrive, and applied in call order (REPL3, REPL16, CORE8).
   *
   * Only copies whose verdict is not known already are verified (REPL16): a
   * room's peers all stream their catch-up to a joiner, so most copies are
   * duplicates. A copy of an op the document holds needs no check (the core
   * reports it as a duplicate), nor does one that a verified seal by its
   * author lists (REPL17: a sealed catch-up sends the verifier nothing). A
   * copy with the same id and the same
   * signature bytes as one being checked is the same bytes, so it takes that
   * check's verdict. Any other copy is verified on its own signature: a bad
   * copy never shadows a good one (CORE8b), and the good one's verdict then
   * serves the copies of it that follow.
   */
  private viaWire(wire: WireVerifier, frames: Uint8Array[], origin: string): Promise<IngestResult> {
    this.times.batches++;
    this.times.ops += frames.length;
    // Seals still being checked may list this batch's ops: judge them after (REPL17).
    const gate = this.sealGate;
    if (gate === undefined) {
      const plan = this.planWire(wire, frames, origin);
      return this.applyInOrder(plan.decoded, origin, () => plan.sealed).finally(plan.release);
    }
    let sealed: readonly number[] = [];
    const plan = gate.then(() => { const p = this.planWire(wire, frames, origin); sealed = p.sealed; return p; });
    return this.applyInOrder(plan.then((p) => p.decoded), origin, () => sealed).finally(() => { void plan.then((p) => p.release()); });
  }

  /** Sorts a batch's copies (held, sealed, sharing a check, checked here) and starts the check; `release` once it is applied. */
  private planWire(wire: WireVerifier, frames: Uint8Array[], origin: string): { readonly decoded: Promise<IngestSession>; readonly sealed: readonly number[]; readonly release: () => void } {
    const { doc } = this.options;
    const stats = this.times;
    const keeper = this.options.seals;
    const v0 = now();
    const { hex, raw } = frameIds(frames);
    const mine: number[] = [];
    const sealed: number[] = [];
    const used = new Set<Seal>();
    const shared: { readonly index: number; readonly copy: CheckedCopy }[] = [];
    for (let i = 0; i < frames.length; i++) {
      const id = hex[i];
      if (id === undefined || doc.holds(id)) continue; // not an op (the decoder says why), or a duplicate
      const f = frames[i]!;
      const seal = keeper?.book.covering(id, f.subarray(AUTHOR_AT, AUTHOR_AT + 32));
      if (seal !== undefined) { sealed.push(i); used.add(seal); continue; }
      const same = this.checking.get(id)?.find((c) => sameBytes(c.sig, f.subarray(f.length - SIG_BYTES)));
      if (same !== undefined) shared.push({ index: i, copy: same });
      else mine.push(i);
    }
    const checked = (async (): Promise<readonly boolean[]> => {
      if (mine.length === 0) return [];
      const ids = new Uint8Array(32 * mine.length);
      mine.forEach((i, k) => ids.set(raw.subarray(32 * i, 32 * i + 32), 32 * k));
      return (await wire.check(mine.map((i) => frames[i]!), ids)).valid;
    })();
    // This batch's copies serve later copies of the same bytes until it is applied (a failed check: all false).
    const verdicts = checked.catch((): readonly boolean[] => []);
    const registered = mine.map((i, k): { readonly id: OpId; readonly copy: CheckedCopy } => {
      const f = frames[i]!;
      const copy = { sig: f.subarray(f.length - SIG_BYTES), verdicts, k };
      const id = hex[i]!;
      const copies = this.checking.get(id);
      if (copies === undefined) this.checking.set(id, [copy]); else copies.push(copy);
      return { id, copy };
    });
    if (sealed.length > 0) keeper!.used([...used], origin);
    const decoded = (async () => {
      const valid = new Array<boolean>(frames.length).fill(false);
      for (const i of sealed) valid[i] = true;
      const own = await checked;
      mine.forEach((i, k) => { valid[i] = own[k] === true; });
      for (const { index, copy } of shared) valid[index] = (await copy.verdicts)[copy.k] === true;
      stats.verifyWallMs += now() - v0;
      const t = now();
      const session = doc.beginIngest(frames, hex);
      session.resolveBy((i) => valid[i]!);
      stats.decodeMs += now() - t;
      return session;
    })();
    // Until this batch is applied, a copy it checked is not held yet: keep its verdict for other copies till then.
    const release = (): void => {
      for (const { id, copy } of registered) {
        const copies = this.checking.get(id);
        if (copies === undefined) continue;
        if (copies.length === 1) { if (copies[0] === copy) this.checking.delete(id); continue; }
        const at = copies.indexOf(copy);
        if (at >= 0) copies.splice(at, 1);
      }
    };
    return { decoded, sealed, release };
  }

  /**
   * Applies a verified batch in call order (the serial queue), then hands it
   * on (REPL3). `sealed`: the positions accepted on a seal; those the core
   * took (applied or buffered, not a copy another batch brought first) count
   * as ops accepted on a seal.
   */
  private applyInOrder(ready: Promise<IngestSession>, origin: string, sealed: () => readonly number[]): Promise<IngestResult> {
    const stats = this.times;
    return this.options.serial(async () => {
      const w0 = now();
      const session = await ready;
      stats.verifyWaitMs += now() - w0;
      let t = now();
      const result = session.finish();
      stats.applyMs += now() - t;
      let taken = 0;
      for (const i of sealed()) { const status = result.outcomes[i]?.status; if (status === 'applied' || status === 'buffered') taken++; }
      if (taken > 0) this.options.seals?.accepted(taken);
      t = now();
      this.options.afterApply(result.applied, origin);
      this.options.seals?.settle(origin);
      stats.afterApplyMs += now() - t;
      return result;
    });
  }
}
