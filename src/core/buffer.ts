// The bounded buffer of verified ops that wait for missing dependencies
// (CORE7). Caps per author and in total keep a flood from growing memory; an
// op past a cap is dropped with a reason and sync fetches it again later.
// Releasing is iterative (a work queue), so no attacker-built chain can
// deepen the stack.
import type { AuthorId, Op, OpId } from './op.js';

export interface BufferLimits {
  readonly perAuthor: number;
  readonly total: number;
}

export const DEFAULT_BUFFER_LIMITS: BufferLimits = { perAuthor: 2_000, total: 20_000 };

interface Entry {
  readonly op: Op;
  readonly missing: Set<OpId>;
}

export class DependencyBuffer {
  private readonly entries = new Map<OpId, Entry>();
  private readonly waiters = new Map<OpId, OpId[]>();
  private readonly perAuthor = new Map<AuthorId, number>();

  constructor(private readonly limits: BufferLimits = DEFAULT_BUFFER_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: OpId): boolean {
    return this.entries.has(id);
  }

  /** Buffers an op; returns a reason when a cap is reached. */
  add(op: Op, missing: readonly OpId[]): string | undefined {
    if (this.entries.size >= this.limits.total) return `dependency buffer full (${this.limits.total} ops)`;
    const mine = this.perAuthor.get(op.author) ?? 0;
    if (mine >= this.limits.perAuthor) return `dependency buffer full for this author (${this.limits.perAuthor} ops)`;
    this.perAuthor.set(op.author, mine + 1);
    this.entries.set(op.id, { op, missing: new Set(missing) });
    for (const m of missing) {
      const list = this.waiters.get(m);
      if (list) list.push(op.id); else this.waiters.set(m, [op.id]);
    }
    return undefined;
  }

  /** Marks `id` as now present; returns the buffered ops that have nothing left missing, removed from the buffer. */
  release(id: OpId): Op[] {
    const waiting = this.waiters.get(id);
    if (!waiting) return [];
    this.waiters.delete(id);
    const ready: Op[] = [];
    for (const wid of waiting) {
      const entry = this.entries.get(wid);
      if (!entry) continue;
      entry.missing.delete(id);
      if (entry.missing.size === 0) {
        this.remove(entry.op);
        ready.push(entry.op);
      }
    }
    return ready;
  }

  private remove(op: Op): void {
    this.entries.delete(op.id);
    const n = (this.perAuthor.get(op.author) ?? 1) - 1;
    if (n === 0) this.perAuthor.delete(op.author); else this.perAuthor.set(op.author, n);
  }

  /** Every missing dependency id that some buffered op waits for. */
  missing(): OpId[] {
    return [...this.waiters.keys()];
  }

  /** Buffered ops with what each still lacks, for the dump. */
  list(): { id: OpId; author: AuthorId; seq: number; missing: OpId[] }[] {
    return [...this.entries.values()].map((e) => ({ id: e.op.id, author: e.op.author, seq: e.op.seq, missing: [...e.missing] }));
  }

  /** Every buffered op, in arrival order. */
  ops(): Op[] {
    return [...this.entries.values()].map((e) => e.op);
  }
}
