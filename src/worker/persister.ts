// Hands applied ops to the OpStore in insertion order, in batches, and never
// drops one (DESIGN §3, REPL4). A failed write keeps the ops queued (they stay
// applied in memory), reports the failure, and is retried with backoff; the
// store skips ids it already has, so a retried batch lands exactly once.
import { OpStoreError, type OpStore, type StoredOp } from '../storage/op-store.js';

/** Schedules a callback after `ms`; returns a cancel function. Injected so tests control time. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export interface PersistStatus {
  /** Ops applied but not yet confirmed written. */
  readonly pending: number;
  /** Ops confirmed in the store (including those loaded at start). */
  readonly persisted: number;
  /** The last write failure, until a write succeeds again. */
  readonly error: { readonly kind: string; readonly message: string; readonly attempts: number } | null;
}

export interface PersisterOptions {
  readonly schedule: Schedule;
  /** Ops per store.append, at most (default 4096: one IndexedDB transaction, STORE2). */
  readonly batchSize?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Ops already in the store at start. */
  readonly persisted?: number;
  /** Awaited before each write: what must be stored before these ops (the seals they were accepted on, REPL17). */
  readonly before?: () => Promise<void>;
}

export class Persister {
  private readonly queue: StoredOp[] = [];
  private writing = false;
  private retryCancel: (() => void) | undefined;
  private attempts = 0;
  private error: PersistStatus['error'] = null;
  private persisted: number;
  private readonly listeners = new Set<(s: PersistStatus) => void>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly store: OpStore, private readonly options: PersisterOptions) {
    this.persisted = options.persisted ?? 0;
  }

  /** Queues ops for writing, in order. */
  enqueue(ops: readonly StoredOp[]): void {
    if (ops.length === 0) return;
    for (const op of ops) this.queue.push(op);
    // No status event per enqueue: the replica reports the pending count with
    // its (coalesced) flush, so a catch-up burst is not one message per batch.
    if (!this.writing && this.retryCancel === undefined) {
      // Start writing after the caller's synchronous work (a local edit posts
      // its board patch first); `writing` keeps a second enqueue from starting
      // another drain meanwhile.
      this.writing = true;
      queueMicrotask(() => void this.drain());
    }
  }

  private appendMs = 0;
  private appendCalls = 0;

  /** Wall time spent in store.append so far (the bench's breakdown). */
  timing(): { appendMs: number; appendCalls: number; persisted: number } {
    return { appendMs: this.appendMs, appendCalls: this.appendCalls, persisted: this.persisted };
  }

  /** The current counts and error. */
  status(): PersistStatus {
    return { pending: this.queue.length, persisted: this.persisted, error: this.error };
  }

  /** Listens to status changes; returns an unsubscribe function. */
  onStatus(listener: (s: PersistStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when nothing is pending (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Retries now instead of waiting for the backoff (e.g. the user pressed "retry"). */
  retryNow(): void {
    if (this.retryCancel) { this.retryCancel(); this.retryCancel = undefined; }
    if (!this.writing) void this.drain();
  }

  /** Stops retrying; queued ops stay queued. */
  close(): void {
    this.closed = true;
    this.retryCancel?.();
    this.retryCancel = undefined;
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }

  private async drain(): Promise<void> {
    if (this.closed) { this.writing = false; return; }
    this.writing = true;
    const size = this.options.batchSize ?? 4096;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, size);
      try {
        const t0 = globalThis.performance?.now() ?? 0;
        await this.options.before?.();
        await this.store.append(batch);
        this.appendMs += (globalThis.performance?.now() ?? 0) - t0;
        this.appendCalls++;
      } catch (e) {
        this.attempts++;
        const err = e instanceof OpStoreError ? e : new OpStoreError('unknown', String(e), e);
        this.error = { kind: err.kind, message: err.message, attempts: this.attempts };
        this.writing = false;
        this.emit();
        const base = this.options.retryBaseMs ?? 250;
        const delay = Math.min(this.options.retryMaxMs ?? 10_000, base * 2 ** Math.min(this.attempts - 1, 16));
        this.retryCancel = this.options.schedule(() => { this.retryCancel = undefined; void this.drain(); }, delay);
        return;
      }
      this.queue.splice(0, batch.length);
      this.persisted += batch.length;
      this.attempts = 0;
      this.error = null;
      this.emit();
    }
    this.writing = false;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
