// Property tests of Document.ingest under hostile frames (CORE7, CORE12):
// random and mutated frames never throw, and the honest state changes only
// through ops that are genuinely valid (ids of the real signed ops).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { Document, decodeOp, fromHex, type Op } from '../../src/core/index.js';
import { EXTENSIVE } from '../support/core-fixtures.js';
import { mutate, mutations } from './mutations.js';

const runs = (quick: number): number => (EXTENSIVE ? quick * 20 : quick);
const frames = (JSON.parse(readFileSync(new URL('../vectors/ops.json', import.meta.url), 'utf8')) as { ops: { body: string; sig: string }[] })
  .ops.map((v) => fromHex(v.body + v.sig)!);
const validIds = new Set(frames.map((f) => (decodeOp(f) as { op: Op }).op.id));
const APPLIED = 5; // the replica starts with the first five vector ops

let honest: Document;
let honestHash: string;
beforeAll(() => {
  honest = new Document();
  honest.replay(frames.slice(0, APPLIED));
  honestHash = honest.stateHash();
});

function replica(): Document {
  const d = new Document({ bufferLimits: { perAuthor: 4, total: 8 } });
  d.replay(frames.slice(0, APPLIED));
  return d;
}

test('[CORE7][CORE12] ingesting mutated frames never throws; state changes only through genuine ops', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: frames.length - 1 }), mutations), { minLength: 1, maxLength: 3 }),
    (picks) => {
      const d = replica();
      const res = d.ingest(picks.map(([i, ms]) => mutate(frames[i]!, ms)));
      for (const o of res.outcomes) if (o.status === 'rejected') expect(typeof o.reason).toBe('string');
      for (const op of res.applied) expect(validIds.has(op.id)).toBe(true);
      if (res.applied.length === 0) expect(d.stateHash()).toBe(honestHash);
    },
  ), { seed: 42, numRuns: runs(60) });
});

test('[CORE7] ingesting random bytes and values never throws and changes nothing', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.anything()), { maxLength: 5 }), (junk) => {
    const d = replica();
    const res = d.ingest(junk);
    expect(res.outcomes.length).toBe(junk.length);
    expect(res.applied).toEqual([]);
    expect(d.stateHash()).toBe(honestHash);
  }), { seed: 42, numRuns: runs(100) });
});

test('[CORE12] the genuine ops mixed with mutants, in any order, converge to the same state', () => {
  const all = new Document();
  all.ingest(frames);
  const target = all.stateHash();
  fc.assert(fc.property(
    fc.shuffledSubarray(frames.map((_, i) => i), { minLength: frames.length }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: frames.length - 1 }), mutations), { maxLength: 2 }),
    (order, noise) => {
      const d = new Document();
      d.ingest([...noise.map(([i, ms]) => mutate(frames[i]!, ms)), ...order.map((i) => frames[i]!)]);
      expect(d.stateHash()).toBe(target);
    },
  ), { seed: 42, numRuns: runs(15) });
});
