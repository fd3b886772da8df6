// FailingOpStore injects append failures and otherwise behaves as the store it wraps.
import { expect, test } from 'vitest';
import { createMemoryBacking, MemoryOpStore } from './memory-op-store.js';
import { contractOp, opStoreContract } from './op-store-contract.js';
import { FailingOpStore } from './failing-op-store.js';

test('[STORE8] the next N appends fail with the chosen kind, write nothing, then delegate', async () => {
  const store = new FailingOpStore(new MemoryOpStore()).failNextAppends(2, 'quota');
  const batch = [contractOp(1), contractOp(2)];
  await expect(store.append(batch)).rejects.toMatchObject({ name: 'OpStoreError', kind: 'quota' });
  await expect(store.append(batch)).rejects.toMatchObject({ kind: 'quota' });
  expect(await store.count()).toBe(0);
  expect(await store.append(batch)).toBe(2); // the retry succeeds
  expect(store.failures).toBe(2);
  expect(store.appendCalls).toBe(3);
});

test('[STORE8] appends fail while the flag is set', async () => {
  const store = new FailingOpStore(new MemoryOpStore());
  store.failWhile = 'aborted';
  await expect(store.append([contractOp(1)])).rejects.toMatchObject({ kind: 'aborted' });
  await expect(store.append([contractOp(1)])).rejects.toMatchObject({ kind: 'aborted' });
  store.failWhile = undefined;
  expect(await store.append([contractOp(1)])).toBe(1);
  expect(await store.has(contractOp(1).id)).toBe(true);
});

for (const c of opStoreContract) {
  test(`[${c.rule}] ${c.name} (failing wrapper, no failures armed)`, () => {
    const backing = createMemoryBacking();
    return c.run(async () => new FailingOpStore(new MemoryOpStore(backing)));
  });
}
