// An OpStore wrapper that can make writes fail on purpose: the debug panel's
// "simulate a storage failure" switch, so a person (and the e2e test) can see
// the persistence banner and watch nothing get lost when writes recover.
import { OpStoreError, type OpStore, type OpStoreErrorKind, type StoredOp } from '../storage/op-store.js';

export class FaultInjectingOpStore implements OpStore {
  /** While set, every append fails with this kind. */
  failing: OpStoreErrorKind | null = null;

  constructor(private readonly inner: OpStore) {}

  async append(ops: readonly StoredOp[]): Promise<number> {
    if (this.failing !== null) throw new OpStoreError(this.failing, `simulated ${this.failing} failure`);
    return this.inner.append(ops);
  }
  loadAll(): Promise<StoredOp[]> { return this.inner.loadAll(); }
  has(id: string): Promise<boolean> { return this.inner.has(id); }
  count(): Promise<number> { return this.inner.count(); }
  close(): Promise<void> { return this.inner.close(); }
}
