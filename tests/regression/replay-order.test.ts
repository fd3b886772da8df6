// Regression: replaying the own store must follow insertion order (CORE14),
// never per-author seq. Bob's FIRST op (seq 1) sets a field of a story that
// Alice inserted in her FIFTH op (seq 5): sorted by seq, the update comes
// before the story exists and is lost.
import { beforeAll, expect, test } from 'vitest';
import { DocState, Document, decodeOp, type Op } from '../../src/core/index.js';
import { KEYS, framesOf, makeBoard, replicaOf } from '../support/core-fixtures.js';

let log: Uint8Array[];
let expected: string;
let target: string;

beforeAll(() => {
  const b = makeBoard(KEYS.alice); // alice seq 1
  b.addStory(KEYS.alice, 's2'); // 2
  b.addStory(KEYS.alice, 's3'); // 3
  b.addStory(KEYS.alice, 's4'); // 4
  const s5 = b.addStory(KEYS.alice, 's5'); // 5
  expect(s5.op.seq).toBe(5);
  target = s5.story;
  const bob = replicaOf(framesOf(b.doc));
  const upd = bob.change(KEYS.bob, [{ type: 'set', obj: target, key: 'stage', value: 'doing' }]);
  expect(upd.seq).toBe(1);
  b.doc.ingest([upd.bytes]);
  log = framesOf(b.doc);
  expected = b.doc.stateHash();
});

const bySeq = (frames: Uint8Array[]): Op[] =>
  frames.map((f) => (decodeOp(f) as { op: Op }).op).sort((x, y) => x.seq - y.seq); // stable: alice 1, bob 1, alice 2..5

test('[CORE14] replay in insertion order rebuilds the exact state', () => {
  const doc = new Document();
  const res = doc.replay(log);
  expect(res.outcomes.every((o) => o.status === 'applied')).toBe(true);
  expect(doc.stateHash()).toBe(expected);
  expect((doc.toJson(target) as Record<string, unknown>)['stage']).toBe('doing');
});

test('[CORE14] a naive replay sorted by seq, applied straight to a DocState, loses the update', () => {
  const state = new DocState();
  const reasons: string[] = [];
  for (const op of bySeq(log)) {
    const r = state.check(op);
    if (r === undefined) state.apply(op); else reasons.push(r);
  }
  expect(reasons).toEqual(['action 0: unknown container']);
  expect((state.toJson(target) as Record<string, unknown>)['stage']).toBe('backlog');
  expect(state.stateHash()).not.toBe(expected);
});

test('[CORE14] a naive replay sorted by seq into a Document without a buffer rejects the update', () => {
  const doc = new Document({ bufferLimits: { perAuthor: 0, total: 0 } });
  const statuses = bySeq(log).map((op) => doc.replay([op.bytes]).outcomes[0]!);
  const bobs = statuses[1]!;
  expect(bobs.status).toBe('rejected');
  expect(bobs.reason).toMatch(/buffer full/);
  expect(doc.stateHash()).not.toBe(expected);
  // With the default buffer the same seq order still converges, but only by buffering.
  const buffered = new Document();
  for (const op of bySeq(log)) buffered.replay([op.bytes]);
  expect(buffered.stateHash()).toBe(expected);
});
