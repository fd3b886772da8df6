// IdbOpStore cases beyond the shared contract, about its on-disk format
// (STORE15): runs of ops packed into one record in new databases, and logs
// written by version 1 (one record per op) opening, deduping and growing
// unchanged (or upgraded, where the factory cannot list its databases); and
// the version 3 upgrade that adds the `seals` store (STORE16).
// Framework-free like the contract suite, so vitest (fake-indexeddb) and the
// Chromium harness (tests/e2e/storage) run the same cases.
import { DB_VERSION, IdbOpStore, roomDatabaseName } from './idb-op-store';
import { contractOp, sortedById } from './op-store-contract';
import type { StoredOp } from './op-store';

export interface IdbCase {
  readonly rule: string;
  readonly name: string;
  /** `factory` holds no database named after `roomId` yet. */
  run(factory: IDBFactory, roomId: string): Promise<void>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`case failed: ${message}`);
}

function assertSameOps(actual: readonly StoredOp[], expected: readonly StoredOp[], what: string): void {
  assert(actual.length === expected.length, `${what}: expected ${expected.length} ops, got ${actual.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert(actual[i]!.id === expected[i]!.id, `${what}: op ${i} has the wrong id`);
    const a = actual[i]!.bytes, b = expected[i]!.bytes;
    assert(a.length === b.length && a.every((x, k) => x === b[k]), `${what}: op ${i} bytes differ`);
  }
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}

/** Opens the room's database at `version` with the raw API (no IdbOpStore). */
function openRaw(factory: IDBFactory, roomId: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const r = version === undefined ? factory.open(roomDatabaseName(roomId)) : factory.open(roomDatabaseName(roomId), version);
  if (upgrade) r.onupgradeneeded = () => upgrade(r.result);
  return request(r);
}

/** Every raw record of the ops store, in key order. */
async function rawRecords(factory: IDBFactory, roomId: string): Promise<{ id: unknown }[]> {
  const db = await openRaw(factory, roomId);
  try {
    return await request(db.transaction('ops', 'readonly').objectStore('ops').getAll()) as { id: unknown }[];
  } finally {
    db.close();
  }
}

/** Writes exactly what version 1 created and wrote: auto-increment keys, a unique (not multiEntry) `id` index, `{ id, bytes }` records, and meta. */
async function writeVersion1(factory: IDBFactory, roomId: string): Promise<StoredOp[]> {
  const old = Array.from({ length: 300 }, (_, n) => contractOp(n, 1 + ((n * 53) % 900)));
  const v1 = await openRaw(factory, roomId, 1, (db) => {
    db.createObjectStore('ops', { autoIncrement: true }).createIndex('id', 'id', { unique: true });
    db.createObjectStore('meta');
  });
  const tx = v1.transaction(['ops', 'meta'], 'readwrite');
  for (const op of old) tx.objectStore('ops').add({ id: op.id, bytes: op.bytes });
  tx.objectStore('meta').put({ slot: 1 }, 'identity');
  await new Promise<void>((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onabort = () => reject(tx.error); });
  v1.close();
  return old;
}

/** Opens the old log through IdbOpStore, checks every read, appends new and old ops, reopens; returns the whole log. */
async function useOldLog(factory: IDBFactory, roomId: string, old: StoredOp[]): Promise<StoredOp[]> {
  const store = await IdbOpStore.open(roomId, { indexedDB: factory });
  assertSameOps(await store.loadAll(), old, 'the old log loads in order');
  assert((await store.count()) === 300, 'count');
  assert(await store.has(old[123]!.id), 'has an old op');
  assertSameOps((await store.loadAfter(old[250]!.id))!, old.slice(251), 'loadAfter an old op');
  assertSameOps(await store.loadFrom(150, 20), old.slice(150, 170), 'loadFrom in the old log');
  assert(((await store.get('identity')) as { slot: number }).slot === 1, 'meta kept');
  // Old ops are recognised as duplicates on the fast path too.
  const next = [...old.slice(280), ...Array.from({ length: 200 }, (_, k) => contractOp(300 + k, 500)), old[0]!];
  assert((await store.append(next)) === 200, 'only the new ops stored');
  const all = [...old, ...next.slice(20, 220)];
  assertSameOps(await store.loadAll(), all, 'old then new, in order');
  assertSameOps(await store.loadFrom(290, 30), all.slice(290, 320), 'loadFrom across old and new');
  assertSameOps((await store.loadAfter(old[299]!.id))!, all.slice(300), 'loadAfter the last old op');
  await store.close();
  const reopened = await IdbOpStore.open(roomId, { indexedDB: factory });
  assertSameOps(await reopened.loadAll(), all, 'after reopen');
  assert((await reopened.count()) === all.length, 'count after reopen');
  await reopened.close();
  return all;
}

export const idbOpStoreCases: readonly IdbCase[] = [
  {
    rule: 'STORE15',
    name: 'a batch is stored as a few records holding runs of ops; a run of one op keeps the single-op shape',
    async run(factory, roomId) {
      const store = await IdbOpStore.open(roomId, { indexedDB: factory });
      const batch = Array.from({ length: 1000 }, (_, n) => contractOp(n, 600));
      assert((await store.append(batch)) === 1000, 'stored');
      assert((await store.append([contractOp(5000, 100)])) === 1, 'a single op');
      await store.close();
      const records = await rawRecords(factory, roomId);
      assert(records.length < 1000 / 50, `1,000 ops of 600 bytes take ${records.length} records`);
      assert(typeof records[records.length - 1]!.id === 'string', 'a lone op is a single-op record');
      const reopened = await IdbOpStore.open(roomId, { indexedDB: factory });
      assertSameOps(await reopened.loadAll(), [...batch, contractOp(5000, 100)], 'loadAll');
      await reopened.close();
    },
  },
  {
    rule: 'STORE15',
    name: 'a version 1 log (one record per op) opens as it is: no upgrade, still one record per op, loads, dedups and grows in order',
    async run(factory, roomId) {
      const old = await writeVersion1(factory, roomId);
      const all = await useOldLog(factory, roomId, old);
      const db = await openRaw(factory, roomId);
      assert(db.version === 1, 'still version 1');
      assert(!db.transaction('ops', 'readonly').objectStore('ops').index('id').multiEntry, 'the index was not rebuilt');
      db.close();
      const records = await rawRecords(factory, roomId);
      assert(records.length === all.length && records.every((r) => typeof r.id === 'string'), 'one record per op');
    },
  },
  {
    rule: 'STORE15',
    name: 'where the factory cannot list its databases, a version 1 log is upgraded in place and loses nothing',
    async run(factory, roomId) {
      const old = await writeVersion1(factory, roomId);
      // The same factory without databases(): the open cannot tell the version, and upgrades.
      const blind = { open: (name: string, version?: number) => factory.open(name, version), deleteDatabase: (name: string) => factory.deleteDatabase(name), cmp: (a: unknown, b: unknown) => factory.cmp(a, b) } as unknown as IDBFactory;
      await useOldLog(blind, roomId, old);
      const db = await openRaw(factory, roomId);
      assert(db.version === DB_VERSION, `upgraded to version ${DB_VERSION}`);
      const index = db.transaction('ops', 'readonly').objectStore('ops').index('id');
      assert(index.unique && index.multiEntry, 'the id index is unique and multiEntry');
      assert(db.objectStoreNames.contains('seals'), 'the seals store was created too');
      db.close();
      const records = await rawRecords(factory, roomId);
      assert(records.length < 300 + 200, 'the ops appended after the upgrade share records');
    },
  },
  {
    rule: 'STORE15',
    name: 'another instance wrote some ops of a batch: the batch lands whole, in order, without them',
    async run(factory, roomId) {
      const a = await IdbOpStore.open(roomId, { indexedDB: factory });
      const b = await IdbOpStore.open(roomId, { indexedDB: factory });
      const batch = Array.from({ length: 500 }, (_, n) => contractOp(n, 300));
      const otherTab = [batch[10]!, batch[250]!, batch[499]!];
      assert((await b.append(otherTab)) === 3, 'the other tab stored 3');
      assert((await a.append(batch)) === 497, 'the rest stored');
      const expected = [...otherTab, ...batch.filter((op) => !otherTab.includes(op))];
      assertSameOps(await a.loadAll(), expected, 'one log, first occurrence kept');
      assertSameOps(await b.loadFrom(100, 50), expected.slice(100, 150), 'loadFrom through the other instance');
      await a.close();
      await b.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'a version 2 database is upgraded to version 3, keeps its ops and stores seals; a version 1 database stays version 1 and keeps no seals',
    async run(factory, roomId) {
      const op = contractOp(0, 200);
      const v2 = await openRaw(factory, roomId, 2, (db) => {
        db.createObjectStore('ops', { autoIncrement: true }).createIndex('id', 'id', { unique: true, multiEntry: true });
        db.createObjectStore('meta');
      });
      await request(v2.transaction('ops', 'readwrite').objectStore('ops').add({ id: op.id, bytes: op.bytes }));
      v2.close();
      const seals = [contractOp(10, 9 * 1024), contractOp(11, 500)];
      const store = await IdbOpStore.open(roomId, { indexedDB: factory });
      assertSameOps(await store.loadAll(), [op], 'the op is kept');
      assert((await store.appendSeals(seals)) === 2, 'seals stored');
      await store.close();
      const db = await openRaw(factory, roomId);
      assert(db.version === 3, `upgraded to version 3, not ${db.version}`);
      db.close();
      const reopened = await IdbOpStore.open(roomId, { indexedDB: factory });
      assertSameOps(sortedById(await reopened.loadSeals()), sortedById(seals), 'seals round-trip');
      await reopened.close();

      const v1Room = `${roomId}-v1`;
      await writeVersion1(factory, v1Room);
      const old = await IdbOpStore.open(v1Room, { indexedDB: factory });
      assert((await old.appendSeals(seals)) === 0, 'a version 1 database stores no seals');
      assert((await old.loadSeals()).length === 0, 'and loads none');
      assert((await old.count()) === 300, 'its log is untouched');
      await old.close();
      const v1 = await openRaw(factory, v1Room);
      assert(v1.version === 1 && !v1.objectStoreNames.contains('seals'), 'still version 1, without a seals store');
      v1.close();
    },
  },
];
