// The replica's seals (CORE18, REPL17): the ones it received and verified,
// the ones it keeps to pass on, and the ones it makes for its own ops.
//
// A received seal is verified once (one signature for up to 256 ops). Then:
// - it is kept (stored, and sent on to the other peers, SYNC18) as soon as an
//   op is accepted on it — the replica must be able to prove every op it
//   holds — or once its author has an op here;
// - until then it waits, at most MAX_WAITING of them (a catch-up sends each
//   seal just before its ops, so one or two wait at a time); the oldest goes.
// This replica seals its own ops in runs of MAX_SEAL_IDS as they are made,
// and the rest of them when a peer is about to catch up.
import {
  MAX_SEAL_IDS, SealBook, decodeSeal, joinSeal, sealBody, toHex,
  type Document, type OpId, type Outcome, type Seal,
} from '../core/index.js';
import type { SealStore } from '../storage/op-store.js';
import type { Signer } from './signer.js';
import type { Verifier } from './verifier.js';

/** Verified seals not kept yet (no op accepted on them, their author unknown here), at most. */
export const MAX_WAITING_SEALS = 64;
/** Own ops left unsealed when a peer comes, from which they are sealed anyway (fewer are cheap to verify one by one). */
export const MIN_TAIL_SEAL = 32;

export interface SealKeeperOptions {
  readonly doc: Document;
  /** Where kept seals are stored (none: kept in memory only). */
  readonly store?: SealStore;
  readonly verifier: Verifier;
  readonly signer: Signer;
  /** Seals newly kept, and where they came from ('local' for this replica's own): the sync sessions send them on. */
  readonly onKept: (seals: readonly Seal[], origin: string) => void;
}

export interface SealStats {
  /** Seals held: kept and waiting. */
  readonly held: number;
  readonly waiting: number;
  /** Received seals whose signature verified / did not. */
  readonly verified: number;
  readonly rejected: number;
  /** Seals this replica made for its own ops. */
  readonly made: number;
  /** Ops accepted on a seal instead of their own signature. */
  readonly opsSealed: number;
}

export class SealKeeper {
  readonly book = new SealBook();
  private readonly waiting = new Map<string, Seal>();
  private loaded: Promise<void> | undefined;
  /** This replica's ops not sealed yet, oldest first; undefined until the stored seals are loaded. */
  private unsealed: OpId[] | undefined;
  private sealing: Promise<void> = Promise.resolve();
  /** Settles once every seal kept so far is written (or its write failed). */
  private storing: Promise<void> = Promise.resolve();
  /** Seals kept and not yet handed to a write. */
  private readonly unwritten: { id: string; bytes: Uint8Array }[] = [];
  private counts = { verified: 0, rejected: 0, made: 0, opsSealed: 0 };

  constructor(private readonly options: SealKeeperOptions) {}

  stats(): SealStats {
    return { held: this.book.size, waiting: this.waiting.size, ...this.counts };
  }

  /**
   * Loads the stored seals once (never on the open's path: the first sync
   * session or sealed batch asks), then finds this replica's own ops that no
   * seal lists yet. Stored seals were verified before they were kept.
   */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const stored = await this.options.store?.loadSeals().catch((e: unknown) => {
        console.warn(`[huskies] stored seals could not be read: ${e instanceof Error ? e.message : String(e)}`);
        return [];
      }) ?? [];
      for (const { bytes } of stored) {
        const d = decodeSeal(bytes);
        if (d.ok) this.book.add(d.seal);
      }
      const me = toHex(this.options.signer.publicKey);
      const own: OpId[] = [];
      for (const m of this.options.doc.appliedMeta()) if (m.author === me && this.book.sealOf(m.id, me) === undefined) own.push(m.id);
      this.unsealed = own;
      this.sealRuns(MAX_SEAL_IDS);
    })();
    return this.loaded;
  }

  /**
   * Judges a batch's seal frames, one outcome each: malformed or forged ones
   * are rejected with the reason, held ones are duplicates, and the rest join
   * the book (waiting to be kept). One signature check per new seal.
   */
  async check(frames: readonly Uint8Array[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(frames.length);
    const fresh: { index: number; seal: Seal }[] = [];
    const inBatch = new Set<string>();
    frames.forEach((frame, index) => {
      const d = decodeSeal(frame);
      if (!d.ok) { outcomes[index] = { status: 'rejected', reason: d.reason }; return; }
      if (this.book.has(d.seal.id) || inBatch.has(d.seal.id)) { outcomes[index] = { status: 'duplicate', id: d.seal.id }; return; }
      inBatch.add(d.seal.id);
      fresh.push({ index, seal: d.seal });
    });
    if (fresh.length === 0) return outcomes;
    const valid = await this.options.verifier.verify(fresh.map(({ seal }) => ({ publicKey: seal.authorKey, message: seal.message, signature: seal.signature })));
    fresh.forEach(({ index, seal }, k) => {
      if (valid[k] !== true) {
        this.counts.rejected++;
        outcomes[index] = { status: 'rejected', id: seal.id, reason: 'seal: bad signature' };
        return;
      }
      this.counts.verified++;
      // Another batch may have added the same seal while this one verified.
      if (this.book.add(seal)) this.waiting.set(seal.id, seal);
      outcomes[index] = { status: 'applied', id: seal.id };
    });
    return outcomes;
  }

  /** Ops are being accepted on these seals: keep them (the replica must be able to prove those ops to others). */
  used(seals: readonly Seal[], origin: string): void {
    const kept = seals.filter((s) => this.waiting.delete(s.id));
    if (kept.length > 0) this.keep(kept, origin);
  }

  /** `n` ops were taken (applied or buffered) on a seal, not on their own signatures: the dump's count. */
  accepted(n: number): void {
    this.counts.opsSealed += n;
  }

  /**
   * After a batch is applied: keeps the waiting seals whose author now has
   * ops here, and drops the oldest beyond MAX_WAITING_SEALS.
   */
  settle(origin: string): void {
    if (this.waiting.size === 0) return;
    const kept: Seal[] = [];
    for (const seal of this.waiting.values()) if (this.options.doc.hasAuthor(seal.author)) kept.push(seal);
    for (const seal of kept) this.waiting.delete(seal.id);
    if (kept.length > 0) this.keep(kept, origin);
    for (const id of this.waiting.keys()) {
      if (this.waiting.size <= MAX_WAITING_SEALS) break;
      this.waiting.delete(id);
      this.book.delete(id);
    }
  }

  /** This replica committed an op: seals a full run of its own (REPL17). */
  noteOwn(id: OpId): void {
    if (this.unsealed === undefined) return; // the load's scan will find it
    this.unsealed.push(id);
    if (this.unsealed.length >= MAX_SEAL_IDS) this.sealRuns(MAX_SEAL_IDS);
  }

  /** Seals this replica's own ops not sealed yet — a run of MIN_TAIL_SEAL or more — before a peer catches up (REPL17). */
  async sealForCatchUp(): Promise<void> {
    await this.load();
    this.sealRuns(MIN_TAIL_SEAL);
    await this.sealing;
  }

  /** Runs whatever is left after the tasks queued before it (tests and shutdown). */
  settled(): Promise<void> {
    return this.sealing;
  }

  /** Seals the unsealed own ops in runs of MAX_SEAL_IDS, down to a last run of `least` ops. */
  private sealRuns(least: number): void {
    const unsealed = this.unsealed!;
    while (unsealed.length >= least && unsealed.length > 0) {
      const run = unsealed.splice(0, MAX_SEAL_IDS);
      this.sealing = this.sealing.then(() => this.seal(run)).catch((e: unknown) => {
        console.warn(`[huskies] could not seal ${run.length} ops: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  }

  private async seal(run: readonly OpId[]): Promise<void> {
    const { body, message } = sealBody(this.options.signer.publicKey, run);
    const d = decodeSeal(joinSeal(body, await this.options.signer.sign(message)));
    if (!d.ok) throw new Error(d.reason);
    this.counts.made++;
    if (this.book.add(d.seal)) this.keep([d.seal], 'local');
  }

  /**
   * Resolves once every seal kept so far is written: the replica writes ops
   * only after the seals they were accepted on, so a crash never leaves an op
   * stored without the seal that proves it (REPL17).
   */
  stored(): Promise<void> {
    return this.storing;
  }

  private keep(seals: readonly Seal[], origin: string): void {
    const store = this.options.store;
    if (store !== undefined) {
      for (const s of seals) this.unwritten.push({ id: s.id, bytes: s.bytes });
      // One write takes every seal kept until it starts: a catch-up keeps a
      // seal per batch, and a transaction each would queue hundreds of them
      // ahead of the ops waiting for them (REPL17).
      this.storing = this.storing.then(() => {
        const records = this.unwritten.splice(0);
        return records.length === 0 ? undefined : store.appendSeals(records);
      }).then(() => undefined, (e: unknown) => {
        // The seal still serves until the replica closes; ops are never held back for it.
        console.warn(`[huskies] a seal could not be stored: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    this.options.onKept(seals, origin);
  }
}
