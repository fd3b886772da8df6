// FailingOpStore: wraps any OpStore and makes `append` fail on demand with a
// chosen OpStoreError kind — for the replica's persist-failure tests and the
// debug panel's "simulate a storage failure" switch (DESIGN §3: failures are
// shown, ops stay queued and are retried, nothing is dropped).
// A failed append writes nothing, like an aborted IndexedDB transaction.
import { OpStoreError, type OpStore, type OpStoreErrorKind, type StoredOp } from './op-store.js';

export class FailingOpStore implements OpStore {
  private remainingFailures = 0;
  private failingKind: OpStoreErrorKind = 'unknown';
  /** While set, every append fails with this kind (after any counted failures). */
  failWhile: OpStoreErrorKind | undefined;
  /** How many appends were rejected so far. */
  failures = 0;
  /** How many append calls were made (failed or not). */
  appendCalls = 0;

  constructor(readonly inner: OpStore) {}

  /** Fails the next `times` append calls with `kind`, then delegates again. */
  failNextAppends(times: number, kind: OpStoreErrorKind = 'quota'): this {
    this.remainingFailures = times;
    this.failingKind = kind;
    return this;
  }

  async append(ops: readonly StoredOp[]): Promise<number> {
    this.appendCalls++;
    let kind: OpStoreErrorKind | undefined;
    if (this.remainingFailures > 0) {
      this.remainingFailures--;
      kind = this.failingKind;
    } else {
      kind = this.failWhile;
    }
    if (kind !== undefined) {
      this.failures++;
      throw new OpStoreError(kind, `injected ${kind} failure`, new Error('FailingOpStore'));
    }
    return this.inner.append(ops);
  }

  loadAll(): Promise<StoredOp[]> {
    return this.inner.loadAll();
  }

  loadFrom(start: number, limit?: number): Promise<StoredOp[]> {
    return this.inner.loadFrom(start, limit);
  }

  loadAfter(id: string): Promise<StoredOp[] | undefined> {
    return this.inner.loadAfter(id);
  }

  has(id: string): Promise<boolean> {
    return this.inner.has(id);
  }

  count(): Promise<number> {
    return this.inner.count();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
