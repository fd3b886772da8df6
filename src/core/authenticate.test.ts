// Unit tests of the batch authenticator (CORE8): every op is judged on its own
// signature, by position in the batch; undecodable slots and skipped slots are
// never asked; no op vouches for another.
import { expect, test } from 'vitest';
import { BatchAuthenticator } from './authenticate.js';
import { toHex } from './bytes.js';
import type { Op } from './op.js';

const id = (n: number) => n.toString(16).padStart(64, '0');
const op = (n: number, prev: number | null): Op =>
  ({ id: id(n), author: 'aa'.repeat(32), seq: 1, lamport: 1, prev: prev === null ? null : id(prev), deps: [], actions: [], sig: new Uint8Array(64), bytes: new Uint8Array() });

test('[CORE8] every op is checked on its own, even a hash-chained run with a valid tail', () => {
  const ops = [op(1, null), op(2, 1), op(3, 2)];
  const auth = new BatchAuthenticator(ops);
  const req = auth.requests();
  expect(req.map((r) => toHex(r.message))).toEqual([id(1), id(2), id(3)]);
  auth.resolve([false, true, true]);
  expect(auth.pending).toBe(false);
  expect([0, 1, 2].map((i) => auth.isAuthentic(i))).toEqual([false, true, true]);
});

test('[CORE8] undecodable and skipped positions are never asked and never authentic', () => {
  const auth = new BatchAuthenticator([undefined, op(1, null), op(2, null)]);
  auth.skip(2);
  const req = auth.requests();
  expect(req.map((r) => toHex(r.message))).toEqual([id(1)]);
  auth.resolve([true]);
  expect([0, 1, 2].map((i) => auth.isAuthentic(i))).toEqual([false, true, false]);
});

test('[CORE8] two copies of one op are judged separately (a bad copy cannot shadow a good one)', () => {
  const auth = new BatchAuthenticator([op(1, null), op(1, null)]);
  auth.requests();
  auth.resolve([false, true]);
  expect([auth.isAuthentic(0), auth.isAuthentic(1)]).toEqual([false, true]);
});

test('[CORE8] resolve() with the wrong number of answers is misuse', () => {
  const auth = new BatchAuthenticator([op(1, null)]);
  auth.requests();
  expect(() => auth.resolve([])).toThrow(RangeError);
});
