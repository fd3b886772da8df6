// IdbOpStore behaviour beyond the shared contract: upgrades from other tabs,
// and the mapping of IndexedDB failures to OpStoreError kinds [STORE8].
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { expect, test } from 'vitest';
import { DB_VERSION, IdbOpStore, roomDatabaseName, toOpStoreError } from './idb-op-store';
import { contractOp } from './op-store-contract';
import { OpStoreError } from './op-store';
import { idbOpStoreCases } from './idb-op-store-cases';

test('[STORE6] one database per room, named huskies-room-<roomId>', async () => {
  const factory = new IDBFactory();
  const a = await IdbOpStore.open('alpha', { indexedDB: factory });
  const b = await IdbOpStore.open('beta', { indexedDB: factory });
  await a.append([contractOp(1)]);
  expect(await b.count()).toBe(0);
  const names = (await factory.databases()).map((d) => d.name).sort();
  expect(names).toEqual([roomDatabaseName('alpha'), roomDatabaseName('beta')]);
  expect(roomDatabaseName('alpha')).toBe('huskies-room-alpha');
  await a.close();
  await b.close();
});

test('[STORE8] another tab upgrading the database closes this store instead of being blocked', async () => {
  const factory = new IDBFactory();
  const reasons: string[] = [];
  const store = await IdbOpStore.open('room', { indexedDB: factory, onClose: (r) => reasons.push(r) });
  await store.append([contractOp(1)]);
  const upgrade = factory.open(roomDatabaseName('room'), DB_VERSION + 1);
  const blocked = { fired: false };
  upgrade.onblocked = () => {
    blocked.fired = true;
  };
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    upgrade.onsuccess = () => resolve(upgrade.result);
    upgrade.onerror = () => reject(upgrade.error);
  });
  db.close();
  expect(blocked.fired).toBe(false);
  expect(reasons).toEqual(['versionchange']);
  await expect(store.count()).rejects.toMatchObject({ name: 'OpStoreError', kind: 'closed' });
});

test('[STORE8] IndexedDB failures map to OpStoreError kinds, keeping the cause', () => {
  const dom = (name: string) => Object.assign(new Error(`${name} happened`), { name });
  const cases: Array<[unknown, string]> = [
    [dom('QuotaExceededError'), 'quota'],
    [dom('AbortError'), 'aborted'],
    [null, 'aborted'],
    [dom('TransactionInactiveError'), 'aborted'],
    [dom('InvalidStateError'), 'closed'],
    [dom('UnknownError'), 'unknown'],
    ['weird', 'unknown'],
  ];
  for (const [cause, kind] of cases) {
    const error = toOpStoreError(cause, 'append failed');
    expect(error).toBeInstanceOf(OpStoreError);
    expect(error.kind).toBe(kind);
    if (cause !== null) expect(error.cause).toBe(cause);
  }
  const already = new OpStoreError('blocked', 'x');
  expect(toOpStoreError(already, 'y')).toBe(already);
});

test('[STORE8] a database newer than this code rejects open with an OpStoreError', async () => {
  const factory = new IDBFactory();
  const newer = factory.open(roomDatabaseName('room'), 5);
  await new Promise<void>((resolve) => {
    newer.onsuccess = () => {
      newer.result.close();
      resolve();
    };
  });
  await expect(IdbOpStore.open('room', { indexedDB: factory })).rejects.toMatchObject({ kind: 'unknown' });
});

test('[STORE2] chunkSize must be a positive integer', () => {
  expect(() => IdbOpStore.open('room', { indexedDB: new IDBFactory(), chunkSize: 0 })).toThrow(RangeError);
});

for (const c of idbOpStoreCases) {
  test(`[${c.rule}] ${c.name}`, () => c.run(new IDBFactory(), 'cases-room'));
}
