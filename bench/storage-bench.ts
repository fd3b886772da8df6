// Storage benchmark: append throughput of n ops of ~200 bytes in 1000-op
// batches, then the time of one loadAll (the replay read). Call benchStorage
// with any OpStore; benchFakeIdb runs it on IdbOpStore over fake-indexeddb
// (pure JS and far slower than Chromium's IndexedDB: compare runs, not browsers).
// Run alone: node --import tsx bench/storage-bench.ts [n]
import { contractOp } from '../src/storage/op-store-contract';
import type { OpStore, StoredOp } from '../src/storage/op-store';

const BATCH = 1000;
const OP_BYTES = 200;

export async function benchStorage(store: OpStore, n: number): Promise<{ appendOpsPerSec: number; loadMs: number }> {
  // Build the ops first so generating them is not timed.
  const ops: StoredOp[] = [];
  for (let i = 0; i < n; i++) ops.push(contractOp(i, OP_BYTES));
  const t0 = performance.now();
  for (let i = 0; i < n; i += BATCH) await store.append(ops.slice(i, i + BATCH));
  const appendMs = performance.now() - t0;
  const t1 = performance.now();
  const loaded = await store.loadAll();
  const loadMs = performance.now() - t1;
  if (loaded.length !== n) throw new Error(`benchStorage: loaded ${loaded.length} of ${n} ops`);
  return { appendOpsPerSec: Math.round((n / appendMs) * 1000), loadMs: Math.round(loadMs) };
}

/** benchStorage on a fresh IdbOpStore over fake-indexeddb (installs its globals, which idb needs). */
export async function benchFakeIdb(
  n: number,
  duplicateStrategy: 'constraint' | 'lookup' = 'constraint',
): Promise<{ appendOpsPerSec: number; loadMs: number }> {
  const installGlobals: string = 'fake-indexeddb/auto'; // untyped side-effect module
  await import(installGlobals);
  const { IDBFactory } = await import('fake-indexeddb');
  const { IdbOpStore } = await import('../src/storage/idb-op-store');
  const store = await IdbOpStore.open('bench', { indexedDB: new IDBFactory(), duplicateStrategy });
  try {
    return await benchStorage(store, n);
  } finally {
    await store.close();
  }
}

if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100_000);
  const { MemoryOpStore } = await import('../src/storage/memory-op-store');
  console.log('memory', n, await benchStorage(new MemoryOpStore(), n));
  console.log('fake-indexeddb constraint', n, await benchFakeIdb(n, 'constraint'));
  console.log('fake-indexeddb lookup', n, await benchFakeIdb(n, 'lookup'));
}
