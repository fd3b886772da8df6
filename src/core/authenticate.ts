// Batch authentication (CORE8). An op is authentic when its own signature
// verifies under its author's key, or when an authentic op of the same author
// names it as `prev`: that signature covers a body holding this op's hash, so
// the author vouched for it. Catch-up therefore verifies one signature per
// author run and only hashes the rest. Honest authors sign every op, so for
// them both routes agree; the rule is the same on every replica.
//
// The planner is a synchronous state machine so the pure core can drive it
// with a synchronous verifier while the worker drives it with an async,
// batched one (WebCrypto): ask `requests()`, answer `resolve()`, repeat.
import { fromHex } from './bytes.js';
import type { VerifyItem } from './sign.js';
import type { AuthorId, Op, OpId } from './op.js';

type Status = 'unknown' | 'asked' | 'authentic' | 'failed';

export class BatchAuthenticator {
  private readonly status = new Map<OpId, Status>();
  private readonly byId = new Map<OpId, Op>();
  private readonly successors = new Map<OpId, Op[]>();
  private asked: Op[] = [];

  /**
   * @param ops decoded, not yet applied ops (unique ids)
   * @param vouched whether an already verified op (e.g. in the dependency buffer) of `author` names `id` as prev
   */
  constructor(ops: readonly Op[], vouched: (id: OpId, author: AuthorId) => boolean) {
    for (const op of ops) { this.byId.set(op.id, op); this.status.set(op.id, 'unknown'); }
    for (const op of ops) {
      if (op.prev === null) continue;
      const p = this.byId.get(op.prev);
      if (p && p.author === op.author) {
        const list = this.successors.get(p.id);
        if (list) list.push(op); else this.successors.set(p.id, [op]);
      }
    }
    for (const op of ops) if (vouched(op.id, op.author)) this.markAuthentic(op);
  }

  private markAuthentic(start: Op): void {
    // Walk back along prev within the batch: iterative, never recursive.
    let op: Op | undefined = start;
    while (op && this.status.get(op.id) !== 'authentic') {
      this.status.set(op.id, 'authentic');
      const p: Op | undefined = op.prev === null ? undefined : this.byId.get(op.prev);
      op = p && p.author === op.author ? p : undefined;
    }
  }

  /** True while signatures remain to be checked. */
  get pending(): boolean {
    for (const s of this.status.values()) if (s === 'unknown') return true;
    return false;
  }

  /**
   * The signatures to check next: every undecided op none of whose same-author
   * successors in the batch is still undecided or authentic.
   */
  requests(): VerifyItem[] {
    this.asked = [];
    for (const [id, s] of this.status) {
      if (s !== 'unknown') continue;
      const succ = this.successors.get(id) ?? [];
      if (succ.some((x) => { const t = this.status.get(x.id); return t !== 'failed'; })) continue;
      this.asked.push(this.byId.get(id)!);
    }
    for (const op of this.asked) this.status.set(op.id, 'asked');
    return this.asked.map((op) => ({ publicKey: fromHex(op.author)!, message: fromHex(op.id)!, signature: op.sig }));
  }

  /** Answers the last `requests()`, in the same order. */
  resolve(valid: readonly boolean[]): void {
    if (valid.length !== this.asked.length) throw new RangeError('one answer per request');
    this.asked.forEach((op, i) => {
      if (valid[i]) this.markAuthentic(op);
      else if (this.status.get(op.id) === 'asked') this.status.set(op.id, 'failed');
    });
    this.asked = [];
  }

  /** Whether an op was found authentic (false until decided). */
  isAuthentic(id: OpId): boolean {
    return this.status.get(id) === 'authentic';
  }
}
