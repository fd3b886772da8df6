// The total order of concurrent writes (CORE5): (Lamport, author, op id,
// action index). Never arrival order, so every replica picks the same winner.
import type { AuthorId, OpId } from './op.js';

export interface Stamp {
  readonly lamport: number;
  readonly author: AuthorId;
  readonly op: OpId;
  readonly index: number;
}

/** Negative when a sorts before b, positive after; 0 only for the same action. */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.lamport !== b.lamport) return a.lamport - b.lamport;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  if (a.op !== b.op) return a.op < b.op ? -1 : 1;
  return a.index - b.index;
}

/**
 * A write that carries its stamp's fields itself — one object per write, not
 * a value plus a stamp (apply is the core's hot path) — and is its own
 * `stamp`. LWW registers and RGA elements extend it; the stamp passed in is
 * copied, so callers may reuse one.
 */
export class StampedWrite implements Stamp {
  readonly lamport: number;
  readonly author: AuthorId;
  readonly op: OpId;
  readonly index: number;

  constructor(stamp: Stamp) {
    this.lamport = stamp.lamport;
    this.author = stamp.author;
    this.op = stamp.op;
    this.index = stamp.index;
  }

  /** The write's stamp (this object). */
  get stamp(): Stamp {
    return this;
  }
}
