// The OpStore, MetaStore and SealStore contract suites: every adapter runs every case
// (STYLE rule 3). Framework-free on purpose — a tiny local assert and no vitest
// import — so the same cases also run inside a real Chromium page.
//
// `make` contract: each case gets FRESH, empty storage; every call of `make`
// within one case opens a NEW instance over that SAME storage (for IndexedDB:
// the same factory and room; for memory: the same MemoryBacking). Cases close
// every instance they open.
import { sameBytes } from '../core/index.js';
import { OpStoreError, type MetaStore, type OpStore, type OpStoreErrorKind, type SealStore, type StoredOp } from './op-store';

export interface ContractCase<S> {
  /** The SPEC rule id the case checks, e.g. 'STORE1'. */
  readonly rule: string;
  readonly name: string;
  run(make: () => Promise<S>): Promise<void>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`contract violated: ${message}`);
}

function assertSameOps(actual: readonly StoredOp[], expected: readonly StoredOp[], what: string): void {
  assert(actual.length === expected.length, `${what}: expected ${expected.length} ops, got ${actual.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert(actual[i].id === expected[i].id, `${what}: op ${i} has id ${actual[i].id}, expected ${expected[i].id}`);
    assert(actual[i].bytes instanceof Uint8Array, `${what}: op ${i} bytes are not a Uint8Array`);
    assert(sameBytes(actual[i].bytes, expected[i].bytes), `${what}: op ${i} bytes differ`);
  }
}

async function rejectsWith(promise: Promise<unknown>, check: (error: unknown) => boolean, what: string): Promise<void> {
  let threw = false;
  try {
    await promise;
  } catch (error) {
    threw = true;
    assert(check(error), `${what}: rejected with the wrong error: ${String(error)}`);
  }
  assert(threw, `${what}: expected a rejection`);
}

const isKind = (kind: OpStoreErrorKind) => (e: unknown) => e instanceof OpStoreError && e.kind === kind;
const isTypeError = (e: unknown) => e instanceof TypeError;

/** A deterministic 64-hex id for n; ids are scattered, so insertion order is not id order. */
export function contractOpId(n: number): string {
  let x = (n + 1) * 0x9e3779b1;
  let hex = '';
  for (let i = 0; i < 8; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ (i * 0x297a2d39);
    x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
    hex += ((x ^ (x >>> 15)) >>> 0).toString(16).padStart(8, '0');
  }
  return hex;
}

/** A deterministic op n with `size` bytes (default 40) whose content depends on n. */
export function contractOp(n: number, size = 40): StoredOp {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (n * 31 + i * 7) & 0xff;
  return { id: contractOpId(n), bytes };
}

function ops(from: number, to: number, size?: number): StoredOp[] {
  const out: StoredOp[] = [];
  for (let n = from; n < to; n++) out.push(contractOp(n, size));
  return out;
}

export const opStoreContract: ReadonlyArray<ContractCase<OpStore>> = [
  {
    rule: 'STORE1',
    name: 'loadAll returns ops in insertion order, not id order',
    async run(make) {
      const store = await make();
      const batch = ops(0, 20).sort((a, b) => (a.id < b.id ? 1 : -1)); // descending ids
      const scattered = ops(20, 40); // ids in no order at all
      await store.append(batch);
      await store.append(scattered);
      const all = await store.loadAll();
      assertSameOps(all, [...batch, ...scattered], 'loadAll');
      assert(all.some((op, i) => i > 0 && all[i - 1].id > op.id), 'fixture must not be sorted by id');
      await store.close();
    },
  },
  {
    rule: 'STORE1',
    name: 'concurrent append calls are stored in call order, each batch contiguous',
    async run(make) {
      const store = await make();
      const first = ops(0, 2500); // several chunks
      const second = ops(2500, 2510);
      const third = ops(2510, 2520);
      const counts = await Promise.all([store.append(first), store.append(second), store.append(third)]);
      assert(counts.join() === '2500,10,10', `counts ${counts.join()}`);
      assertSameOps(await store.loadAll(), [...first, ...second, ...third], 'loadAll');
      await store.close();
    },
  },
  {
    rule: 'STORE2',
    name: 'append resolves with the number newly stored; an empty batch stores nothing',
    async run(make) {
      const store = await make();
      assert((await store.append([])) === 0, 'empty batch returns 0');
      assert((await store.append(ops(0, 5))) === 5, 'five new ops return 5');
      assert((await store.count()) === 5, 'count is 5');
      await store.close();
    },
  },
  {
    rule: 'STORE2',
    name: 'a batch larger than the chunk size is stored whole and in order',
    async run(make) {
      const store = await make();
      const batch = ops(0, 2345); // > the default chunk of 1000
      assert((await store.append(batch)) === 2345, 'all 2345 newly stored');
      assertSameOps(await store.loadAll(), batch, 'loadAll');
      await store.close();
    },
  },
  {
    rule: 'STORE3',
    name: 'duplicates inside one batch are skipped, keeping the first occurrence',
    async run(make) {
      const store = await make();
      const [a, b, c] = ops(0, 3);
      const again = { id: a.id, bytes: new Uint8Array([9, 9, 9]) };
      assert((await store.append([a, b, again, c, b])) === 3, 'three distinct ops newly stored');
      assertSameOps(await store.loadAll(), [a, b, c], 'loadAll');
      assert((await store.count()) === 3, 'count is 3');
      await store.close();
    },
  },
  {
    rule: 'STORE3',
    name: 'duplicates across batches are skipped; a retried batch is idempotent',
    async run(make) {
      const store = await make();
      const first = ops(0, 10);
      await store.append(first);
      const mixed = [...ops(5, 15), ...ops(0, 3)];
      assert((await store.append(mixed)) === 5, 'only ops 10..14 are new');
      assert((await store.append(mixed)) === 0, 'retrying the same batch stores nothing');
      assertSameOps(await store.loadAll(), ops(0, 15), 'loadAll');
      assert((await store.count()) === 15, 'count is 15');
      await store.close();
    },
  },
  {
    rule: 'STORE4',
    name: 'has tells whether an op id is stored; count matches loadAll',
    async run(make) {
      const store = await make();
      assert(!(await store.has(contractOpId(0))), 'empty store has nothing');
      assert((await store.count()) === 0, 'empty store counts 0');
      await store.append(ops(0, 4));
      assert(await store.has(contractOpId(3)), 'has a stored id');
      assert(!(await store.has(contractOpId(4))), 'lacks an unstored id');
      assert(!(await store.has('')), 'lacks the empty id');
      assert((await store.count()) === (await store.loadAll()).length, 'count equals loadAll length');
      await store.close();
    },
  },
  {
    rule: 'STORE5',
    name: 'bytes round-trip exactly: every byte value, empty, large, views of larger buffers',
    async run(make) {
      const store = await make();
      const every = new Uint8Array(256).map((_, i) => i);
      const big = contractOp(2, 64 * 1024).bytes;
      const backing = new Uint8Array(100).map((_, i) => 255 - i);
      const view = backing.subarray(10, 20);
      const input = [
        { id: contractOpId(0), bytes: every },
        { id: contractOpId(1), bytes: new Uint8Array(0) },
        { id: contractOpId(2), bytes: big },
        { id: contractOpId(3), bytes: view },
      ];
      await store.append(input);
      const all = await store.loadAll();
      assertSameOps(all, input, 'loadAll');
      assert(all[3].bytes.byteLength === 10, 'a view stores only its own bytes');
      await store.close();
    },
  },
  {
    rule: 'STORE5',
    name: 'stored bytes are isolated from later mutation of the caller arrays',
    async run(make) {
      const store = await make();
      const op = contractOp(0);
      const original = op.bytes.slice();
      await store.append([op]);
      op.bytes.fill(0);
      const [loaded] = await store.loadAll();
      assert(sameBytes(loaded.bytes, original), 'mutating the appended array changed the store');
      loaded.bytes.fill(1);
      const [again] = await store.loadAll();
      assert(sameBytes(again.bytes, original), 'mutating a loaded array changed the store');
      await store.close();
    },
  },
  {
    rule: 'STORE6',
    name: 'a second instance over the same storage sees the data (reopen)',
    async run(make) {
      const first = await make();
      const batch = ops(0, 50).reverse();
      await first.append(batch);
      await first.close();
      const second = await make();
      assertSameOps(await second.loadAll(), batch, 'reopened loadAll');
      assert(await second.has(batch[7].id), 'reopened has');
      assert((await second.count()) === 50, 'reopened count');
      await second.close();
    },
  },
  {
    rule: 'STORE6',
    name: 'two open instances share one log and dedup each other (two tabs)',
    async run(make) {
      const tabA = await make();
      const tabB = await make();
      await tabA.append(ops(0, 10));
      assert((await tabB.append(ops(5, 12))) === 2, 'B stores only the two ops A lacked');
      assertSameOps(await tabA.loadAll(), ops(0, 12), 'A sees B');
      assertSameOps(await tabB.loadAll(), ops(0, 12), 'B sees A');
      await tabA.close();
      await tabB.close();
    },
  },
  {
    rule: 'STORE7',
    name: 'after close every call rejects with kind closed; close is idempotent',
    async run(make) {
      const store = await make();
      await store.append(ops(0, 2));
      await store.close();
      await store.close();
      await rejectsWith(store.append(ops(2, 3)), isKind('closed'), 'append');
      await rejectsWith(store.loadAll(), isKind('closed'), 'loadAll');
      await rejectsWith(store.has(contractOpId(0)), isKind('closed'), 'has');
      await rejectsWith(store.count(), isKind('closed'), 'count');
      const reopened = await make();
      assert((await reopened.count()) === 2, 'closing kept the data');
      await reopened.close();
    },
  },
  {
    rule: 'STORE9',
    name: 'a malformed op (bad id, non-bytes) rejects with TypeError and writes nothing of its batch',
    async run(make) {
      const store = await make();
      const good = ops(0, 3);
      const bad: unknown[] = [
        { id: 'ABC', bytes: new Uint8Array(1) },
        { id: contractOpId(9).toUpperCase(), bytes: new Uint8Array(1) },
        { id: contractOpId(9), bytes: [1, 2, 3] },
        null,
      ];
      for (const op of bad) {
        await rejectsWith(store.append([...good, op as StoredOp]), isTypeError, `append(${JSON.stringify(op)})`);
      }
      assert((await store.count()) === 0, 'nothing of a rejected batch is stored');
      await store.close();
    },
  },
  {
    rule: 'STORE12',
    name: 'loadFrom reads a range of insertion positions, across batches, reopen and other instances',
    async run(make) {
      const store = await make();
      const all = ops(0, 30);
      await store.append(all.slice(0, 10));
      await store.append([...all.slice(5, 12), all[3]!]); // duplicates take no position
      await store.append(all.slice(12, 30));
      assertSameOps(await store.loadFrom(0), all, 'loadFrom(0)');
      assertSameOps(await store.loadFrom(0, 4), all.slice(0, 4), 'loadFrom(0, 4)');
      assertSameOps(await store.loadFrom(7), all.slice(7), 'loadFrom(7)');
      assertSameOps(await store.loadFrom(10, 5), all.slice(10, 15), 'loadFrom(10, 5) spans batches');
      assertSameOps(await store.loadFrom(29), all.slice(29), 'the last op');
      assertSameOps(await store.loadFrom(30), [], 'at the end');
      assertSameOps(await store.loadFrom(100, 3), [], 'past the end');
      assertSameOps(await store.loadFrom(3, 0), [], 'limit 0');
      const other = await make();
      await other.append(ops(30, 33));
      assertSameOps(await store.loadFrom(28), [...all.slice(28), ...ops(30, 33)], 'sees the other instance');
      await rejectsWith(store.loadFrom(-1), isTypeError, 'negative start');
      await rejectsWith(store.loadFrom(1.5), isTypeError, 'fractional start');
      await rejectsWith(store.loadFrom(0, -2), isTypeError, 'negative limit');
      await store.close();
      await rejectsWith(store.loadFrom(0), isKind('closed'), 'loadFrom after close');
      await other.close();
    },
  },
  {
    rule: 'STORE12',
    name: 'loadFrom in consecutive chunks reads the whole log once, in order, while it grows',
    async run(make) {
      const store = await make();
      const all = ops(0, 25);
      await store.append(all.slice(0, 20));
      const read: StoredOp[] = [];
      for (let chunk = await store.loadFrom(0, 6); chunk.length > 0; chunk = await store.loadFrom(read.length, 6)) {
        read.push(...chunk);
        if (read.length === 12) await store.append(all.slice(20)); // a write in between
      }
      assertSameOps(read, all, 'chunks');
      assertSameOps(await store.loadFrom(3, 2), all.slice(3, 5), 'a jump back');
      assertSameOps(await store.loadFrom(5, 2), all.slice(5, 7), 'then on');
      await store.close();
    },
  },
  {
    rule: 'STORE14',
    name: 'loadAfter(id) returns the ops stored after that op; undefined for an unknown id',
    async run(make) {
      const store = await make();
      const all = ops(0, 12);
      await store.append(all.slice(0, 8));
      await store.append([all[2]!, ...all.slice(8)]);
      assertSameOps((await store.loadAfter(all[0]!.id))!, all.slice(1), 'after the first');
      assertSameOps((await store.loadAfter(all[7]!.id))!, all.slice(8), 'across batches');
      assertSameOps((await store.loadAfter(all[11]!.id))!, [], 'after the last');
      assert((await store.loadAfter(contractOpId(99))) === undefined, 'unknown id');
      await rejectsWith(store.loadAfter(7 as unknown as string), isTypeError, 'non-string id');
      await store.close();
      await rejectsWith(store.loadAfter(all[0]!.id), isKind('closed'), 'after close');
    },
  },
  {
    rule: 'STORE15',
    name: 'every op of a big batch is addressed singly: loadFrom at any position, loadAfter and has of any id, partial duplicates',
    async run(make) {
      const store = await make();
      // Sizes vary from 1 byte to 70 KiB, so an adapter that stores runs of
      // ops together splits them at every kind of boundary.
      const sized = (n: number) => contractOp(n, n % 97 === 0 ? 70_000 + n : n % 13 === 0 ? 9_000 : 1 + ((n * 37) % 700));
      const first = Array.from({ length: 600 }, (_, n) => sized(n));
      assert((await store.append(first)) === 600, 'first batch stored');
      // Half already stored (to be skipped), half new, interleaved.
      const second = Array.from({ length: 400 }, (_, k) => sized(k % 2 === 0 ? 599 - k : 600 + k));
      assert((await store.append(second)) === 200, 'only the new half stored');
      const all = [...first, ...second.filter((_, k) => k % 2 === 1)];
      assertSameOps(await store.loadAll(), all, 'loadAll');
      assert((await store.count()) === all.length, 'count');
      const reopened = await make();
      for (const start of [0, 1, 2, 63, 64, 97, 255, 256, 257, 599, 600, 601, 799, 800]) {
        assertSameOps(await reopened.loadFrom(start, 37), all.slice(start, start + 37), `loadFrom(${start}, 37)`);
      }
      let read: StoredOp[] = [];
      for (let start = 0; start < all.length; start += 61) read = read.concat(await reopened.loadFrom(start, 61));
      assertSameOps(read, all, 'consecutive chunks');
      for (let i = 0; i < all.length; i += 41) {
        assert(await reopened.has(all[i]!.id), `has op ${i}`);
        assertSameOps((await reopened.loadAfter(all[i]!.id))!, all.slice(i + 1), `loadAfter op ${i}`);
      }
      assert(!(await reopened.has(contractOpId(5000))), 'has an unknown id');
      await reopened.close();
      await store.close();
    },
  },
  {
    rule: 'STORE10',
    name: '5,000 ops of 200 bytes round-trip in order',
    async run(make) {
      const store = await make();
      const batch = ops(0, 5000, 200);
      let added = 0;
      for (let i = 0; i < batch.length; i += 1000) added += await store.append(batch.slice(i, i + 1000));
      assert(added === 5000, 'all 5000 newly stored');
      assertSameOps(await store.loadAll(), batch, 'loadAll');
      assert((await store.count()) === 5000, 'count is 5000');
      await store.close();
    },
  },
];

export const metaStoreContract: ReadonlyArray<ContractCase<OpStore & MetaStore>> = [
  {
    rule: 'STORE11',
    name: 'meta values round-trip as copies and survive a reopen',
    async run(make) {
      const store = await make();
      assert((await store.get('identity')) === undefined, 'unknown key is undefined');
      const identity = { slot: 2, publicKey: new Uint8Array([1, 2, 3]), tags: ['a'] };
      await store.set('identity', identity);
      identity.tags.push('mutated');
      const loaded = (await store.get('identity')) as typeof identity;
      assert(loaded.slot === 2 && loaded.tags.length === 1, 'stored a copy, not a reference');
      assert(loaded.publicKey instanceof Uint8Array && sameBytes(loaded.publicKey, new Uint8Array([1, 2, 3])), 'bytes');
      await store.set('identity', 'replaced');
      await store.close();
      const reopened = await make();
      assert((await reopened.get('identity')) === 'replaced', 'set replaces and persists');
      assert((await reopened.count()) === 0, 'meta does not touch the op log');
      await reopened.close();
      await rejectsWith(reopened.get('identity'), isKind('closed'), 'get after close');
      await rejectsWith(reopened.set('x', 1), isKind('closed'), 'set after close');
    },
  },
  {
    rule: 'STORE13',
    name: 'a large binary meta value (a snapshot) round-trips exactly and is replaced whole',
    async run(make) {
      const store = await make();
      const big = new Uint8Array(3 * 1024 * 1024 + 5);
      for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 9)) & 0xff;
      await store.set('snapshot', { version: 1, upTo: 42, lastId: contractOpId(41), bytes: big });
      const loaded = (await store.get('snapshot')) as { upTo: number; bytes: Uint8Array };
      assert(loaded.upTo === 42 && loaded.bytes instanceof Uint8Array && sameBytes(loaded.bytes, big), 'bytes round-trip');
      await store.set('snapshot', { version: 1, upTo: 1, lastId: contractOpId(0), bytes: new Uint8Array([7]) });
      await store.close();
      const reopened = await make();
      const small = (await reopened.get('snapshot')) as { upTo: number; bytes: Uint8Array };
      assert(small.upTo === 1 && small.bytes.length === 1 && small.bytes[0] === 7, 'replaced whole, persisted');
      assert((await reopened.count()) === 0, 'meta does not touch the op log');
      await reopened.close();
    },
  },
];

/** Seals load in any order: compare them sorted by id. */
export function sortedById(seals: readonly StoredOp[]): StoredOp[] {
  return [...seals].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export const sealStoreContract: ReadonlyArray<ContractCase<OpStore & SealStore>> = [
  {
    rule: 'STORE16',
    name: 'seals round-trip exactly (ids, bytes, a 9 KiB seal, a view of a larger buffer) and are isolated from the caller arrays',
    async run(make) {
      const store = await make();
      assert((await store.loadSeals()).length === 0, 'an empty store has no seals');
      const backing = new Uint8Array(100).map((_, i) => 255 - i);
      const seals = [contractOp(0, 120), contractOp(1, 9 * 1024), { id: contractOpId(2), bytes: backing.subarray(10, 20) }];
      const expected = seals.map((s) => ({ id: s.id, bytes: s.bytes.slice() }));
      assert((await store.appendSeals(seals)) === 3, 'three seals newly stored');
      seals[0]!.bytes.fill(0);
      const loaded = await store.loadSeals();
      assertSameOps(sortedById(loaded), sortedById(expected), 'loadSeals');
      assert(loaded.find((s) => s.id === contractOpId(2))!.bytes.byteLength === 10, 'a view stores only its own bytes');
      for (const s of loaded) s.bytes.fill(1);
      assertSameOps(sortedById(await store.loadSeals()), sortedById(expected), 'mutating loaded arrays changed nothing');
      await store.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'appendSeals is idempotent: an id stored twice, in one call or across calls, counts once and keeps the first',
    async run(make) {
      const store = await make();
      const [a, b, c] = [contractOp(0), contractOp(1), contractOp(2)];
      const again = { id: a.id, bytes: new Uint8Array([9, 9, 9]) };
      assert((await store.appendSeals([])) === 0, 'an empty call stores nothing');
      assert((await store.appendSeals([a, b, again, b])) === 2, 'two distinct seals newly stored');
      assert((await store.appendSeals([b, c, again])) === 1, 'only c is new');
      assert((await store.appendSeals([a, b, c])) === 0, 'a retried call stores nothing');
      assertSameOps(sortedById(await store.loadSeals()), sortedById([a, b, c]), 'loadSeals');
      await store.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'seals persist across reopen and are shared by two open instances',
    async run(make) {
      const first = await make();
      const seals = [contractOp(0, 300), contractOp(1, 300)];
      await first.appendSeals(seals);
      await first.close();
      const tabA = await make();
      const tabB = await make();
      assertSameOps(sortedById(await tabA.loadSeals()), sortedById(seals), 'reopened loadSeals');
      assert((await tabB.appendSeals([seals[1]!, contractOp(2)])) === 1, 'B stores only the seal A lacked');
      assertSameOps(sortedById(await tabA.loadSeals()), sortedById([...seals, contractOp(2)]), 'A sees B');
      await tabA.close();
      await tabB.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'seals and the op log are apart: appendSeals does not touch the log, append does not touch the seals',
    async run(make) {
      const store = await make();
      const logged = ops(0, 5);
      await store.append(logged);
      assert((await store.appendSeals([contractOp(10), contractOp(11)])) === 2, 'seals stored');
      assert((await store.count()) === 5, 'appendSeals left count alone');
      assertSameOps(await store.loadAll(), logged, 'appendSeals left the log alone');
      await store.append(ops(5, 8));
      assertSameOps(sortedById(await store.loadSeals()), sortedById([contractOp(10), contractOp(11)]), 'append left the seals alone');
      await store.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'a malformed seal (bad id, non-bytes) rejects with TypeError and writes nothing of its call',
    async run(make) {
      const store = await make();
      const bad: unknown[] = [
        { id: 'ABC', bytes: new Uint8Array(1) },
        { id: contractOpId(9).toUpperCase(), bytes: new Uint8Array(1) },
        { id: contractOpId(9), bytes: [1, 2, 3] },
        null,
      ];
      for (const seal of bad) {
        await rejectsWith(store.appendSeals([contractOp(0), seal as StoredOp]), isTypeError, `appendSeals(${JSON.stringify(seal)})`);
      }
      await rejectsWith(store.appendSeals('seals' as unknown as StoredOp[]), isTypeError, 'a non-array');
      assert((await store.loadSeals()).length === 0, 'nothing of a rejected call is stored');
      await store.close();
    },
  },
  {
    rule: 'STORE16',
    name: 'after close appendSeals and loadSeals reject with kind closed; the seals are kept',
    async run(make) {
      const store = await make();
      await store.appendSeals([contractOp(0)]);
      await store.close();
      await rejectsWith(store.appendSeals([contractOp(1)]), isKind('closed'), 'appendSeals after close');
      await rejectsWith(store.loadSeals(), isKind('closed'), 'loadSeals after close');
      const reopened = await make();
      assertSameOps(await reopened.loadSeals(), [contractOp(0)], 'closing kept the seals');
      await reopened.close();
    },
  },
];
