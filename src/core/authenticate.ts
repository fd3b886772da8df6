// Batch authentication (CORE8): an op is authentic exactly when its own
// signature verifies under its author key. Signature checks are batched and
// may be answered asynchronously (WebCrypto, worker pools), so the planner is
// a small state machine the pure core can drive with a synchronous verifier
// and the worker with an async one: ask `requests()`, answer `resolve()`.
//
// Why not let one op's signature vouch for a run of hash-chained ops? It is
// sound per op, but a replica that accepts an op on a voucher that it then
// cannot apply (missing dependency, failed check) holds an op with no proof it
// can pass on, and honest replicas split (found by the seeded simulation,
// SIM3). A seal (CORE18) is the proof that does travel: a signed list of op
// ids that the replica keeps and sends with them; an op it lists is accepted
// here without its own check (`accept`).
import { fromHex } from './bytes.js';
import type { VerifyItem } from './sign.js';
import type { Op } from './op.js';

type Status = 'unknown' | 'asked' | 'authentic' | 'failed';

export class BatchAuthenticator {
  private readonly status: Status[];
  private asked: number[] = [];

  /** @param ops decoded ops; each copy is judged on its own signature, by position */
  constructor(private readonly ops: readonly (Op | undefined)[]) {
    this.status = ops.map((op) => (op === undefined ? 'failed' : 'unknown'));
  }

  /** True while signatures remain to be checked. */
  get pending(): boolean {
    return this.status.includes('unknown');
  }

  /** Skips the check of one position (e.g. an op already applied). */
  skip(index: number): void {
    if (this.status[index] === 'unknown') this.status[index] = 'failed';
  }

  /** Accepts one position without a check of its own signature: a verified seal by its author lists it (CORE18). */
  accept(index: number): void {
    if (this.status[index] === 'unknown') this.status[index] = 'authentic';
  }

  /** The signatures to check next. */
  requests(): VerifyItem[] {
    this.asked = [];
    this.status.forEach((s, i) => { if (s === 'unknown') { this.asked.push(i); this.status[i] = 'asked'; } });
    return this.asked.map((i) => {
      const op = this.ops[i]!;
      return { publicKey: fromHex(op.author)!, message: fromHex(op.id)!, signature: op.sig };
    });
  }

  /** Answers the last `requests()`, in the same order. */
  resolve(valid: readonly boolean[]): void {
    if (valid.length !== this.asked.length) throw new RangeError('one answer per request');
    this.asked.forEach((i, k) => { this.status[i] = valid[k] ? 'authentic' : 'failed'; });
    this.asked = [];
  }

  /**
   * Answers every pending position at once from verdicts already known by
   * position (a verifier that checked the raw frames, e.g. off-thread).
   * Each position still gets the verdict on its own signature (CORE8).
   */
  resolveBy(valid: (index: number) => boolean): void {
    for (let i = 0; i < this.status.length; i++) if (this.status[i] === 'unknown') this.status[i] = valid(i) ? 'authentic' : 'failed';
  }

  /** Whether the op at this position was found authentic. */
  isAuthentic(index: number): boolean {
    return this.status[index] === 'authentic';
  }
}
