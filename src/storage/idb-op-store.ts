// IdbOpStore: the IndexedDB adapter of the OpStore and MetaStore ports.
// One database per room (`huskies-room-<roomId>`), shared by every tab of the
// browser [STORE6]. Object store `ops`: auto-increment out-of-line key, so key
// order IS insertion order and replay is one getAll [STORE1]; a UNIQUE index on
// `id` makes the log dedup by op id across tabs [STORE3]. Object store `meta`:
// the replica's identity and settings.
// Reads go through `idb`; the append hot path uses the raw requests because a
// duplicate must be swallowed per request (preventDefault), which idb's
// promise wrappers cannot express.
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import {
  assertRange,
  assertStorableOps,
  OpStoreError,
  ownedBytes,
  type MetaStore,
  type OpStore,
  type StoredOp,
} from './op-store';

const DB_VERSION = 1;
const DEFAULT_CHUNK_SIZE = 1000;

interface OpRecord {
  id: string;
  bytes: Uint8Array;
}

interface RoomDb extends DBSchema {
  ops: { key: number; value: OpRecord; indexes: { id: string } };
  meta: { key: string; value: unknown };
}

/**
 * How append skips ids that are already stored (both keep the insertion order):
 * - 'constraint': add every op and swallow the unique index's ConstraintError
 *   on that one request (preventDefault), so the transaction is not aborted;
 * - 'lookup': read the id from the index first, add only when absent.
 * 'constraint' is the default: one request per op instead of two (see the
 * figures in docs/SPEC.md).
 */
export type DuplicateStrategy = 'constraint' | 'lookup';

export interface IdbOpStoreOptions {
  /** The IndexedDB factory; defaults to globalThis.indexedDB (pass fake-indexeddb's in Node). */
  indexedDB?: IDBFactory;
  /** Ops per write transaction; default 1000 (~12k ops/s in Chromium vs ~1.1k/s one op per transaction). */
  chunkSize?: number;
  /** How duplicates are skipped; default 'constraint'. */
  duplicateStrategy?: DuplicateStrategy;
  /** Called when the browser closed the database under us: another tab wants to upgrade, or it was deleted / the disk failed. */
  onClose?: (reason: 'versionchange' | 'terminated') => void;
}

export function roomDatabaseName(roomId: string): string {
  return `huskies-room-${roomId}`;
}

export class IdbOpStore implements OpStore, MetaStore {
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** Where the last loadFrom ended: the position after it, and the key of the record before that position. */
  private positionHint: { position: number; key: number } | undefined;
  private readonly db: IDBPDatabase<RoomDb>;

  private constructor(
    private readonly raw: IDBDatabase,
    private readonly chunkSize: number,
    private readonly strategy: DuplicateStrategy,
  ) {
    // idb's wrap recognises requests by `instanceof` the GLOBAL IDB classes, so
    // an injected factory alone is not enough: in Node, import 'fake-indexeddb/auto' too.
    if (typeof IDBRequest === 'undefined' || !(raw instanceof IDBDatabase)) {
      throw new TypeError('IdbOpStore needs the global IndexedDB classes of the factory it is given');
    }
    this.db = wrap(raw) as IDBPDatabase<RoomDb>;
  }

  /** Opens (creating or upgrading) the room's database; rejects with OpStoreError 'blocked' when an older connection in another tab blocks the upgrade [STORE8]. */
  static open(roomId: string, opts: IdbOpStoreOptions = {}): Promise<IdbOpStore> {
    const factory = opts.indexedDB ?? globalThis.indexedDB;
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
    return new Promise((resolve, reject) => {
      if (!factory) {
        reject(new OpStoreError('unknown', 'IndexedDB is not available'));
        return;
      }
      let gaveUp = false;
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(roomDatabaseName(roomId), DB_VERSION);
      } catch (error) {
        reject(toOpStoreError(error, 'open failed'));
        return;
      }
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          const ops = db.createObjectStore('ops', { autoIncrement: true });
          ops.createIndex('id', 'id', { unique: true });
          db.createObjectStore('meta');
        }
      };
      // Another tab holds an older version open and did not close on versionchange.
      // Report it now instead of hanging; the caller retries later (STORE8).
      request.onblocked = () => {
        gaveUp = true;
        reject(new OpStoreError('blocked', `opening ${roomDatabaseName(roomId)} is blocked by another tab`));
      };
      request.onerror = (event) => {
        event.preventDefault();
        reject(toOpStoreError(request.error, 'open failed'));
      };
      request.onsuccess = () => {
        const raw = request.result;
        if (gaveUp) {
          raw.close(); // the caller already got 'blocked'; do not leak this late connection
          return;
        }
        let store: IdbOpStore;
        try {
          store = new IdbOpStore(raw, chunkSize, opts.duplicateStrategy ?? 'constraint');
        } catch (error) {
          raw.close();
          reject(error);
          return;
        }
        // Close at once so another tab's upgrade is not blocked by us (STORE8).
        raw.onversionchange = () => {
          store.markClosed();
          opts.onClose?.('versionchange');
        };
        raw.onclose = () => {
          store.markClosed();
          opts.onClose?.('terminated');
        };
        resolve(store);
      };
    });
  }

  append(ops: readonly StoredOp[]): Promise<number> {
    // Calls are serialised so each batch lands contiguously and in call order,
    // even when the caller does not await: interleaved chunks would let an op
    // be stored before one it depends on [STORE1]. A failed call does not stop
    // the next one; retrying the failed batch is the caller's job.
    const result = this.tail.then(() => this.appendNow(ops));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async appendNow(ops: readonly StoredOp[]): Promise<number> {
    this.ensureOpen();
    assertStorableOps(ops);
    // Duplicates inside the batch are dropped here, keeping the first occurrence [STORE3].
    const seen = new Set<string>();
    const fresh: StoredOp[] = [];
    for (const op of ops) {
      if (seen.has(op.id)) continue;
      seen.add(op.id);
      fresh.push(op);
    }
    // Chunks commit one after another; if one fails the earlier ones stay
    // committed, which is fine because a retry skips them [STORE2].
    let added = 0;
    for (let i = 0; i < fresh.length; i += this.chunkSize) {
      added += await this.appendChunk(fresh.slice(i, i + this.chunkSize));
    }
    return added;
  }

  async loadAll(): Promise<StoredOp[]> {
    this.ensureOpen();
    try {
      const records = await this.db.getAll('ops'); // key order = insertion order [STORE1]
      return records.map((r) => ({ id: r.id, bytes: r.bytes }));
    } catch (error) {
      throw toOpStoreError(error, 'loadAll failed');
    }
  }

  async loadFrom(start: number, limit?: number): Promise<StoredOp[]> {
    this.ensureOpen();
    assertRange(start, limit);
    if (limit === 0) return [];
    try {
      const tx = this.db.transaction('ops', 'readonly');
      let range: IDBKeyRange | undefined;
      const hint = this.positionHint;
      if (start > 0 && hint !== undefined && hint.position === start) {
        // Reading on from where the last read ended (the background load of
        // a restored prefix reads the log in chunks): positions never move
        // in an append-only log, so the key there is still the key.
        range = IDBKeyRange.lowerBound(hint.key, true);
      } else if (start > 0) {
        // Keys are auto-increment numbers but may have gaps (aborted writes
        // still advance the generator), so position `start` is found by
        // skipping `start` keys — a key cursor reads no values.
        const cursor = await tx.store.openKeyCursor();
        const at = cursor === null ? null : await cursor.advance(start);
        if (at === null) return [];
        range = IDBKeyRange.lowerBound(at.key);
      }
      const [records, keys] = await Promise.all([tx.store.getAll(range, limit), tx.store.getAllKeys(range, limit)]);
      if (keys.length > 0) this.positionHint = { position: start + keys.length, key: keys[keys.length - 1]! };
      return records.map((r) => ({ id: r.id, bytes: r.bytes }));
    } catch (error) {
      throw toOpStoreError(error, 'loadFrom failed');
    }
  }

  async loadAfter(id: string): Promise<StoredOp[] | undefined> {
    this.ensureOpen();
    if (typeof id !== 'string') throw new TypeError('loadAfter: id must be a string');
    try {
      const tx = this.db.transaction('ops', 'readonly');
      // The unique id index gives the op's key at once: no scan of the log before it.
      const key = await tx.store.index('id').getKey(id);
      if (key === undefined) return undefined;
      const records = await tx.store.getAll(IDBKeyRange.lowerBound(key, true));
      return records.map((r) => ({ id: r.id, bytes: r.bytes }));
    } catch (error) {
      throw toOpStoreError(error, 'loadAfter failed');
    }
  }

  async has(id: string): Promise<boolean> {
    this.ensureOpen();
    if (typeof id !== 'string') throw new TypeError('has: id must be a string');
    try {
      return (await this.db.getKeyFromIndex('ops', 'id', id)) !== undefined;
    } catch (error) {
      throw toOpStoreError(error, 'has failed');
    }
  }

  async count(): Promise<number> {
    this.ensureOpen();
    try {
      return await this.db.count('ops');
    } catch (error) {
      throw toOpStoreError(error, 'count failed');
    }
  }

  async get(key: string): Promise<unknown> {
    this.ensureOpen();
    if (typeof key !== 'string') throw new TypeError('get: key must be a string');
    try {
      return await this.db.get('meta', key);
    } catch (error) {
      throw toOpStoreError(error, 'get failed');
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    this.ensureOpen();
    if (typeof key !== 'string') throw new TypeError('set: key must be a string');
    try {
      await this.db.put('meta', value, key);
    } catch (error) {
      throw toOpStoreError(error, 'set failed');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.markClosed();
  }

  private markClosed(): void {
    this.closed = true;
    this.raw.close(); // pending transactions still complete
  }

  private ensureOpen(): void {
    if (this.closed) throw new OpStoreError('closed', 'IdbOpStore is closed');
  }

  /** One readwrite transaction for the chunk; resolves with how many were new once it commits. */
  private appendChunk(chunk: readonly StoredOp[]): Promise<number> {
    return new Promise((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        // 'relaxed': no fsync per commit; the log is replicated to peers anyway
        // and a lost tail is re-sent on the next sync. Ignored where unsupported.
        tx = this.raw.transaction('ops', 'readwrite', { durability: 'relaxed' });
      } catch (error) {
        reject(toOpStoreError(error, 'append failed'));
        return;
      }
      let added = 0;
      let skipped = 0;
      // 'constraint' counts the duplicates (error events) instead of the
      // successes: no JS callback per stored op on the hot path.
      tx.oncomplete = () => resolve(this.strategy === 'constraint' ? chunk.length - skipped : added);
      tx.onabort = () => reject(toOpStoreError(tx.error, 'append transaction aborted'));
      const store = tx.objectStore('ops');
      const onAdded = () => {
        added++;
      };
      const onError = (event: Event) => {
        // Already stored (maybe by another tab): skip it, keep the transaction [STORE3].
        const request = event.target as IDBRequest;
        if (request.error?.name === 'ConstraintError') {
          skipped++;
          event.preventDefault();
          event.stopPropagation();
        }
      };
      try {
        if (this.strategy === 'constraint') {
          for (const op of chunk) {
            const request = store.add({ id: op.id, bytes: ownedBytes(op.bytes) });
            request.onerror = onError;
          }
        } else {
          const index = store.index('id');
          for (const op of chunk) {
            const lookup = index.getKey(op.id);
            // Success callbacks fire in request order, so the adds keep the chunk's order.
            lookup.onsuccess = () => {
              if (lookup.result !== undefined) return;
              store.add({ id: op.id, bytes: ownedBytes(op.bytes) }).onsuccess = onAdded;
            };
          }
        }
      } catch (error) {
        reject(toOpStoreError(error, 'append failed'));
        try {
          tx.abort();
        } catch {
          // already finished
        }
      }
    });
  }
}

/** Maps a DOMException (or null from an explicit abort) to an OpStoreError kind [STORE8]. */
export function toOpStoreError(error: unknown, message: string): OpStoreError {
  if (error instanceof OpStoreError) return error;
  // tx.error is null when the transaction was aborted explicitly.
  if (error === null || error === undefined) return new OpStoreError('aborted', `${message}: transaction aborted`);
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  const detail = typeof error === 'object' && error !== null && 'message' in error ? `: ${String(error.message)}` : '';
  switch (name) {
    case 'QuotaExceededError':
      return new OpStoreError('quota', `${message}: storage quota exceeded${detail}`, error);
    case 'AbortError':
    case 'TransactionInactiveError':
      return new OpStoreError('aborted', `${message}: transaction aborted${detail}`, error);
    case 'InvalidStateError':
      return new OpStoreError('closed', `${message}: database connection is closed${detail}`, error);
    default:
      return new OpStoreError('unknown', `${message}${detail}`, error);
  }
}
