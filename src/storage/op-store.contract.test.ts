// Runs the OpStore, MetaStore and SealStore contract suites against every
// adapter (STYLE rule 3): MemoryOpStore, and IdbOpStore under fake-indexeddb with the
// default chunking, with a tiny chunk (so every batch crosses chunk
// boundaries), and with the 'lookup' duplicate strategy.
// idb recognises IndexedDB objects through the global classes, so install them;
// each case still gets its own fresh IDBFactory.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, test } from 'vitest';
import { IdbOpStore, type IdbOpStoreOptions } from './idb-op-store';
import { createMemoryBacking, MemoryOpStore } from './memory-op-store';
import type { MetaStore, OpStore, SealStore } from './op-store';
import { metaStoreContract, opStoreContract, sealStoreContract } from './op-store-contract';

/** Returns a fresh `make` per case: new storage, and every call reopens that same storage. */
type FreshStorage = () => () => Promise<OpStore & MetaStore & SealStore>;

const idb =
  (opts: IdbOpStoreOptions = {}): FreshStorage =>
  () => {
    const factory = new IDBFactory(); // fresh, empty "browser profile" per case
    return () => IdbOpStore.open('contract-room', { ...opts, indexedDB: factory });
  };

const adapters: ReadonlyArray<[string, FreshStorage]> = [
  [
    'memory',
    () => {
      const backing = createMemoryBacking();
      return async () => new MemoryOpStore(backing);
    },
  ],
  ['idb', idb()],
  ['idb chunk=7', idb({ chunkSize: 7 })],
  ['idb lookup chunk=7', idb({ chunkSize: 7, duplicateStrategy: 'lookup' })],
];

for (const [adapter, fresh] of adapters) {
  describe(`OpStore contract: ${adapter}`, () => {
    opStoreContract.forEach((c) => {
      test(`[${c.rule}] ${c.name} (${adapter})`, () => c.run(fresh()));
    });
    metaStoreContract.forEach((c) => {
      test(`[${c.rule}] ${c.name} (${adapter})`, () => c.run(fresh()));
    });
    sealStoreContract.forEach((c) => {
      test(`[${c.rule}] ${c.name} (${adapter})`, () => c.run(fresh()));
    });
  });
}
