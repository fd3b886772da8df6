// IdbOpStore: the IndexedDB adapter of the OpStore, MetaStore and SealStore ports.
// One database per room (`huskies-room-<roomId>`), shared by every tab of the
// browser [STORE6]. Object store `ops`: auto-increment out-of-line key, so key
// order IS insertion order and replay is one getAll [STORE1]; a UNIQUE
// multiEntry index on `id` makes the log dedup by op id across tabs [STORE3].
// Object store `meta`: the replica's identity and settings. Object store
// `seals` (version 3): `{ id, bytes }` records keyed by id [STORE16].
// A record holds one op (`{ id, bytes }`, the only shape of version 1) or a
// run of consecutive ops (`{ id: [ids], bytes: concatenated, ends }`,
// STORE15): in Chromium every record is a structured clone and a request to
// the browser process, which cost more than the op's verification during a
// catch-up; packed, a run of ~70 ops costs one. The multiEntry index gives
// every op of a run its own unique entry, so dedup, `has` and `loadAfter`
// work per op in both shapes.
// Reads go through `idb`; the append hot path uses the raw requests.
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import {
  assertRange,
  assertStorableOps,
  OpStoreError,
  ownedBytes,
  type MetaStore,
  type OpStore,
  type SealStore,
  type StoredOp,
} from './op-store';

/** 2: the `id` index became multiEntry, for packed records (STORE15); 3: the `seals` store (STORE16). */
export const DB_VERSION = 3;
const DEFAULT_CHUNK_SIZE = 4096;
/**
 * A packed record holds at most this many bytes of ops: Chromium wraps a
 * value over 64 KiB into a Blob (a file beside the database, read back with
 * more IPC), so records stay under it with room for the ids.
 */
const RECORD_BYTES = 40 * 1024;
/** …and at most this many ops. */
const RECORD_OPS = 256;

/** Version 1's only shape, still written for a run of one op. */
interface SingleRecord {
  id: string;
  bytes: Uint8Array;
}

/** A run of consecutive ops: op i is bytes[ends[i − 1] ?? 0, ends[i]) (STORE15). */
interface PackedRecord {
  id: string[];
  bytes: Uint8Array;
  ends: Uint32Array;
}

type OpRecord = SingleRecord | PackedRecord;

interface RoomDb extends DBSchema {
  ops: { key: number; value: OpRecord; indexes: { id: string } };
  meta: { key: string; value: unknown };
  seals: { key: string; value: StoredOp };
}

/** How many ops a record holds. */
function opsIn(r: OpRecord): number {
  return typeof r.id === 'string' ? 1 : r.id.length;
}

/** Appends the ops of record r from its `skip`-th on (at most `limit`) to out. Views share the record's buffer. */
function unpack(r: OpRecord, out: StoredOp[], skip = 0, limit = Infinity): void {
  if (typeof r.id === 'string') {
    if (skip === 0 && limit > 0) out.push({ id: r.id, bytes: (r as SingleRecord).bytes });
    return;
  }
  const { id: ids, bytes, ends } = r as PackedRecord;
  const stop = Math.min(ids.length, skip + limit);
  for (let i = skip; i < stop; i++) out.push({ id: ids[i]!, bytes: bytes.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!) });
}

/** The version of an existing database of this name; undefined when there is none or the factory cannot tell. */
async function existingVersion(factory: IDBFactory, name: string): Promise<number | undefined> {
  try {
    if (typeof factory.databases !== 'function') return undefined;
    return (await factory.databases()).find((d) => d.name === name)?.version;
  } catch {
    return undefined;
  }
}

/** A chunk as records: runs of ops up to RECORD_BYTES / `maxOps`; a run of one is a single record. */
function packRecords(ops: readonly StoredOp[], maxOps: number): OpRecord[] {
  const out: OpRecord[] = [];
  for (let i = 0; i < ops.length;) {
    let j = i;
    let size = 0;
    while (j < ops.length && j - i < maxOps && (j === i || size + ops[j]!.bytes.length <= RECORD_BYTES)) size += ops[j++]!.bytes.length;
    if (j - i === 1) {
      out.push({ id: ops[i]!.id, bytes: ownedBytes(ops[i]!.bytes) });
    } else {
      const bytes = new Uint8Array(size);
      const ends = new Uint32Array(j - i);
      const ids: string[] = [];
      let at = 0;
      for (let k = i; k < j; k++) {
        bytes.set(ops[k]!.bytes, at);
        at += ops[k]!.bytes.length;
        ends[k - i] = at;
        ids.push(ops[k]!.id);
      }
      out.push({ id: ids, bytes, ends });
    }
    i = j;
  }
  return out;
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
  /** Ops per write transaction; default 4096 (STORE2). One op per transaction writes ~1.1k ops/s in Chromium; a transaction of packed records (STORE15) takes ~50 ms for 4,096 ops here. */
  chunkSize?: number;
  /** How duplicates are skipped; default 'constraint'. */
  duplicateStrategy?: DuplicateStrategy;
  /** Called when the browser closed the database under us: another tab wants to upgrade, or it was deleted / the disk failed. */
  onClose?: (reason: 'versionchange' | 'terminated') => void;
}

export function roomDatabaseName(roomId: string): string {
  return `huskies-room-${roomId}`;
}

export class IdbOpStore implements OpStore, MetaStore, SealStore {
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  /** Where the last loadFrom ended: the position after it, found as op `skip` of record `key` on (skip may equal its count). */
  private positionHint: { position: number; key: number; skip: number } | undefined;
  private readonly db: IDBPDatabase<RoomDb>;

  /** Whether runs of ops go into one record: version 2 and later databases; a version 1 database keeps one record per op. */
  private readonly packed: boolean;
  /** Whether the database has the `seals` store: not a version 1 database, which is not upgraded for it (STORE15, STORE16). */
  private readonly hasSeals: boolean;

  private constructor(
    private readonly raw: IDBDatabase,
    private readonly chunkSize: number,
    private readonly strategy: DuplicateStrategy,
  ) {
    this.packed = raw.version >= 2;
    this.hasSeals = raw.objectStoreNames.contains('seals');
    // idb's wrap recognises requests by `instanceof` the GLOBAL IDB classes, so
    // an injected factory alone is not enough: in Node, import 'fake-indexeddb/auto' too.
    if (typeof IDBRequest === 'undefined' || !(raw instanceof IDBDatabase)) {
      throw new TypeError('IdbOpStore needs the global IndexedDB classes of the factory it is given');
    }
    this.db = wrap(raw) as IDBPDatabase<RoomDb>;
  }

  /**
   * Opens (creating if needed) the room's database; rejects with OpStoreError
   * 'blocked' when an older connection in another tab blocks an upgrade [STORE8].
   * A database version 1 created stays at version 1 (one record per op):
   * upgrading rebuilds the id index over every record, which took 18–30 s
   * for 100,000 ops in Chromium here, so only new databases (and version 2
   * ones) get the current version (STORE15), and a version 1 database keeps
   * no seals (STORE16). Where the factory cannot list its databases, the
   * version 1 database is upgraded instead, losing nothing.
   */
  static open(roomId: string, opts: IdbOpStoreOptions = {}): Promise<IdbOpStore> {
    const factory = opts.indexedDB ?? globalThis.indexedDB;
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
    if (!factory) return Promise.reject(new OpStoreError('unknown', 'IndexedDB is not available'));
    const name = roomDatabaseName(roomId);
    return existingVersion(factory, name).then((version) => IdbOpStore.openAt(factory, name, version === 1 ? 1 : DB_VERSION, chunkSize, opts));
  }

  private static openAt(factory: IDBFactory, roomDb: string, version: number, chunkSize: number, opts: IdbOpStoreOptions): Promise<IdbOpStore> {
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(roomDb, version);
      } catch (error) {
        reject(toOpStoreError(error, 'open failed'));
        return;
      }
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore('ops', { autoIncrement: true }).createIndex('id', 'id', { unique: true, multiEntry: true });
          db.createObjectStore('meta');
        } else if (event.oldVersion < 2) {
          // Version 1 records stay as they are (one op each, a string id: one
          // index entry); only the index is rebuilt as multiEntry, inside this
          // upgrade transaction, so an interrupted upgrade changes nothing (STORE15).
          const ops = request.transaction!.objectStore('ops');
          ops.deleteIndex('id');
          ops.createIndex('id', 'id', { unique: true, multiEntry: true });
        }
        // A new store only, no record touched: cheap for any version 2 database (STORE16).
        if (event.oldVersion < 3) db.createObjectStore('seals', { keyPath: 'id' });
      };
      // Another tab holds an older version open and did not close on versionchange.
      // Report it now instead of hanging; the caller retries later (STORE8).
      request.onblocked = () => {
        gaveUp = true;
        reject(new OpStoreError('blocked', `opening ${roomDb} is blocked by another tab`));
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
      const out: StoredOp[] = [];
      for (const r of records) unpack(r, out);
      return out;
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
      let at: { key: number; skip: number } | undefined;
      const hint = this.positionHint;
      if (hint !== undefined && hint.position === start) {
        // Reading on from where the last read ended (the background load of
        // a restored prefix reads the log in chunks): positions never move
        // in an append-only log, and records are never rewritten.
        at = { key: hint.key, skip: hint.skip };
      } else if (start > 0) {
        // Keys are auto-increment numbers with gaps (aborted writes still
        // advance the generator) and a record may hold a run of ops, so
        // position `start` is found by counting ops record by record.
        let cursor = await tx.store.openCursor();
        let seen = 0;
        while (cursor !== null) {
          const n = opsIn(cursor.value);
          if (seen + n > start) { at = { key: cursor.key, skip: start - seen }; break; }
          seen += n;
          cursor = await cursor.continue();
        }
        if (at === undefined) return [];
      }
      const out: StoredOp[] = [];
      const want = limit ?? Infinity;
      let range = at === undefined ? undefined : IDBKeyRange.lowerBound(at.key);
      let skip = at?.skip ?? 0;
      let last: { key: number; skip: number } | undefined;
      // Records hold 1..RECORD_OPS ops: read a few, then as many as the ops
      // per record seen so far suggest, so a chunk is neither read record by
      // record nor far past its end.
      let perRecord = 1;
      while (out.length < want) {
        const need = want - out.length + skip;
        const count = want === Infinity ? undefined : Math.max(1, Math.min(need, Math.ceil(need / perRecord)));
        const [records, keys] = await Promise.all([tx.store.getAll(range, count), tx.store.getAllKeys(range, count)]);
        if (records.length === 0) break;
        let ops = 0;
        for (let i = 0; i < records.length && out.length < want; i++) {
          const r = records[i]!;
          const n = opsIn(r);
          ops += n;
          const take = Math.min(n - skip, want - out.length);
          unpack(r, out, skip, take);
          last = { key: keys[i]!, skip: skip + take };
          skip = 0;
        }
        perRecord = Math.max(1, ops / records.length);
        range = IDBKeyRange.lowerBound(keys[keys.length - 1]!, true);
        if (count === undefined || records.length < count) break;
      }
      if (last !== undefined) this.positionHint = { position: start + out.length, ...last };
      return out;
    } catch (error) {
      throw toOpStoreError(error, 'loadFrom failed');
    }
  }

  async loadAfter(id: string): Promise<StoredOp[] | undefined> {
    this.ensureOpen();
    if (typeof id !== 'string') throw new TypeError('loadAfter: id must be a string');
    try {
      const tx = this.db.transaction('ops', 'readonly');
      // The unique id index gives the op's record at once: no scan of the log before it.
      const key = await tx.store.index('id').getKey(id);
      if (key === undefined) return undefined;
      const records = await tx.store.getAll(IDBKeyRange.lowerBound(key));
      const out: StoredOp[] = [];
      const first = records[0];
      if (first !== undefined && typeof first.id !== 'string') unpack(first, out, first.id.indexOf(id) + 1);
      for (let i = 1; i < records.length; i++) unpack(records[i]!, out);
      return out;
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
      // One index entry per op, in either record shape (STORE15).
      return await this.db.countFromIndex('ops', 'id');
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

  /**
   * One transaction of `add`s: a stored id fails only its own request, whose
   * ConstraintError is swallowed, so the rest land and only new seals count.
   * Seals have no order, so they do not queue behind append's `tail`. A
   * version 1 database has no `seals` store; seals are an optimisation, so
   * there they are dropped and none load [STORE16].
   */
  async appendSeals(seals: readonly StoredOp[]): Promise<number> {
    this.ensureOpen();
    assertStorableOps(seals);
    if (!this.hasSeals || seals.length === 0) return 0;
    return new Promise((resolve, reject) => {
      const tx = this.appendTransaction(reject, 'seals');
      if (!tx) return;
      let added = 0;
      tx.oncomplete = () => resolve(added);
      tx.onabort = () => reject(toOpStoreError(tx.error, 'appendSeals transaction aborted'));
      const onError = (event: Event) => {
        if ((event.target as IDBRequest).error?.name === 'ConstraintError') event.preventDefault();
      };
      try {
        const store = tx.objectStore('seals');
        for (const seal of seals) {
          const request = store.add({ id: seal.id, bytes: ownedBytes(seal.bytes) });
          request.onsuccess = () => added++;
          request.onerror = onError;
        }
      } catch (error) {
        reject(toOpStoreError(error, 'appendSeals failed'));
        try { tx.abort(); } catch { /* already finished */ }
      }
    });
  }

  async loadSeals(): Promise<StoredOp[]> {
    this.ensureOpen();
    if (!this.hasSeals) return [];
    try {
      return await this.db.getAll('seals');
    } catch (error) {
      throw toOpStoreError(error, 'loadSeals failed');
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

  /** Stores one chunk in one transaction; resolves with how many ops were new once it commits. */
  private async appendChunk(chunk: readonly StoredOp[]): Promise<number> {
    if (this.strategy === 'constraint') {
      const added = await this.addPacked(chunk);
      if (added !== 'duplicate') return added;
    }
    return this.addFresh(chunk);
  }

  /** An append's (or appendSeals') transaction, or undefined once `reject` has been told why it could not start. */
  private appendTransaction(reject: (error: OpStoreError) => void, store: 'ops' | 'seals' = 'ops'): IDBTransaction | undefined {
    try {
      // 'relaxed': no fsync per commit; the log is replicated to peers anyway
      // and a lost tail is re-sent on the next sync. Ignored where unsupported.
      return this.raw.transaction(store, 'readwrite', { durability: 'relaxed' });
    } catch (error) {
      reject(toOpStoreError(error, 'append failed'));
      return undefined;
    }
  }

  /**
   * The fast path: the chunk as packed records, no lookups. A run that holds
   * an id already stored (another tab wrote it, or a retried write had
   * committed) fails the unique index; then the whole transaction is
   * aborted — nothing of the chunk lands, so insertion order is untouched —
   * and the chunk goes through addFresh [STORE3, STORE15].
   */
  private addPacked(chunk: readonly StoredOp[]): Promise<number | 'duplicate'> {
    return new Promise((resolve, reject) => {
      const tx = this.appendTransaction(reject);
      if (!tx) return;
      let duplicate = false;
      tx.oncomplete = () => resolve(chunk.length);
      tx.onabort = () => (duplicate ? resolve('duplicate') : reject(toOpStoreError(tx.error, 'append transaction aborted')));
      const onError = (event: Event) => {
        if ((event.target as IDBRequest).error?.name !== 'ConstraintError' || duplicate) return;
        duplicate = true;
        event.preventDefault();
        try { tx.abort(); } catch { /* already finishing */ }
      };
      try {
        const store = tx.objectStore('ops');
        for (const record of packRecords(chunk, this.packed ? RECORD_OPS : 1)) store.add(record).onerror = onError;
      } catch (error) {
        reject(toOpStoreError(error, 'append failed'));
        try { tx.abort(); } catch { /* already finished */ }
      }
    });
  }

  /**
   * Looks every id up in the index first, then stores only the ops not yet
   * stored, packed, in the same transaction (no other writer can interleave):
   * the 'lookup' strategy, and the fallback of the fast path [STORE3].
   */
  private addFresh(chunk: readonly StoredOp[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const tx = this.appendTransaction(reject);
      if (!tx) return;
      const fresh: StoredOp[] = [];
      tx.oncomplete = () => resolve(fresh.length);
      tx.onabort = () => reject(toOpStoreError(tx.error, 'append transaction aborted'));
      try {
        const store = tx.objectStore('ops');
        const index = store.index('id');
        let answered = 0;
        const known: boolean[] = new Array<boolean>(chunk.length);
        chunk.forEach((op, i) => {
          const lookup = index.getKey(op.id);
          lookup.onsuccess = () => {
            known[i] = lookup.result !== undefined;
            if (++answered < chunk.length) return;
            // The last answer: every lookup is in; add the rest, in order.
            for (let k = 0; k < chunk.length; k++) if (!known[k]) fresh.push(chunk[k]!);
            try {
              for (const record of packRecords(fresh, this.packed ? RECORD_OPS : 1)) store.add(record);
            } catch (error) {
              reject(toOpStoreError(error, 'append failed'));
              try { tx.abort(); } catch { /* already finished */ }
            }
          };
        });
      } catch (error) {
        reject(toOpStoreError(error, 'append failed'));
        try { tx.abort(); } catch { /* already finished */ }
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
