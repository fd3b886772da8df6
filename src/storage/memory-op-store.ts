// MemoryOpStore: the in-memory OpStore + MetaStore + SealStore adapter, for
// unit tests and the seeded multi-peer simulation. Several instances can share
// one MemoryBacking, which stands in for "the same IndexedDB database" (multi-tab,
// or a restart that reopens the room) [STORE6].
import {
  assertRange,
  assertStorableOps,
  OpStoreError,
  type MetaStore,
  type OpStore,
  type SealStore,
  type StoredOp,
} from './op-store';

/** The storage behind one or more MemoryOpStore instances. */
export interface MemoryBacking {
  readonly ops: StoredOp[];
  readonly ids: Set<string>;
  readonly meta: Map<string, unknown>;
  readonly seals: Map<string, Uint8Array>;
}

export function createMemoryBacking(): MemoryBacking {
  return { ops: [], ids: new Set(), meta: new Map(), seals: new Map() };
}

export class MemoryOpStore implements OpStore, MetaStore, SealStore {
  private closed = false;

  /** Pass the same backing to several instances to share storage between them. */
  constructor(readonly backing: MemoryBacking = createMemoryBacking()) {}

  async append(ops: readonly StoredOp[]): Promise<number> {
    this.ensureOpen();
    assertStorableOps(ops);
    let added = 0;
    for (const op of ops) {
      if (this.backing.ids.has(op.id)) continue; // [STORE3] dedup by op id
      this.backing.ids.add(op.id);
      // Copy, so a caller mutating its array later cannot rewrite history [STORE5].
      this.backing.ops.push({ id: op.id, bytes: new Uint8Array(op.bytes) });
      added++;
    }
    return added;
  }

  async loadAll(): Promise<StoredOp[]> {
    this.ensureOpen();
    return this.backing.ops.map((op) => ({ id: op.id, bytes: new Uint8Array(op.bytes) }));
  }

  async loadFrom(start: number, limit?: number): Promise<StoredOp[]> {
    this.ensureOpen();
    assertRange(start, limit);
    const end = limit === undefined ? undefined : start + limit;
    return this.backing.ops.slice(start, end).map((op) => ({ id: op.id, bytes: new Uint8Array(op.bytes) }));
  }

  async loadAfter(id: string): Promise<StoredOp[] | undefined> {
    this.ensureOpen();
    if (typeof id !== 'string') throw new TypeError('loadAfter: id must be a string');
    if (!this.backing.ids.has(id)) return undefined;
    const at = this.backing.ops.findIndex((op) => op.id === id);
    return this.backing.ops.slice(at + 1).map((op) => ({ id: op.id, bytes: new Uint8Array(op.bytes) }));
  }

  async has(id: string): Promise<boolean> {
    this.ensureOpen();
    return this.backing.ids.has(id);
  }

  async count(): Promise<number> {
    this.ensureOpen();
    return this.backing.ops.length;
  }

  async get(key: string): Promise<unknown> {
    this.ensureOpen();
    const value = this.backing.meta.get(key);
    return value === undefined ? undefined : structuredClone(value);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.ensureOpen();
    // structuredClone mirrors IndexedDB: same copy semantics, same DataCloneError on functions.
    this.backing.meta.set(key, structuredClone(value));
  }

  async appendSeals(seals: readonly StoredOp[]): Promise<number> {
    this.ensureOpen();
    assertStorableOps(seals);
    let added = 0;
    for (const seal of seals) {
      if (this.backing.seals.has(seal.id)) continue; // [STORE16] the first stored seal of an id stays
      this.backing.seals.set(seal.id, new Uint8Array(seal.bytes));
      added++;
    }
    return added;
  }

  async loadSeals(): Promise<StoredOp[]> {
    this.ensureOpen();
    return [...this.backing.seals].map(([id, bytes]) => ({ id, bytes: new Uint8Array(bytes) }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private ensureOpen(): void {
    if (this.closed) throw new OpStoreError('closed', 'MemoryOpStore is closed');
  }
}
