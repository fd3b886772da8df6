// Generates tests/vectors/ops.json ONCE; the file is then checked in as data
// and vectors.test.ts re-derives every field from it (CORE2, CORE3), so any
// change to the canonical encoding, hashing or signing fails the test.
// Run: npx tsx tests/vectors/generate.ts  (only when the encoding changes on purpose)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document, ROOT, toHex, type KeyPair, type LocalAction, type Op } from '../../src/core/index.js';
import { KEYS, framesOf } from '../support/core-fixtures.js';

const SEEDS = { alice: 1, bob: 2, carol: 3 } as const;
type Name = keyof typeof SEEDS;

interface Vector {
  name: string;
  signer: Name;
  header: { author: string; seq: number; lamport: number; prev: string | null; deps: string[] };
  actions: LocalAction[];
  body: string;
  id: string;
  sig: string;
}

const vectors: Vector[] = [];
function record(name: string, signer: Name, doc: Document, actions: LocalAction[]): Op {
  const keys: KeyPair = KEYS[signer];
  const op = doc.change(keys, actions);
  vectors.push({
    name, signer,
    header: { author: op.author, seq: op.seq, lamport: op.lamport, prev: op.prev, deps: [...op.deps] },
    actions,
    body: toHex(op.bytes.subarray(0, op.bytes.length - 64)),
    id: op.id,
    sig: toHex(op.sig),
  });
  return op;
}

const main = new Document();
const a1 = record('root containers and a string (seq 1, no prev, no deps)', 'alice', main, [
  { type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } },
  { type: 'set', obj: ROOT, key: 'meta', value: { make: 'map' } },
  { type: 'set', obj: { self: 1 }, key: 'name', value: 'huskies' },
]);
const stories = `${a1.id}:0`;
const meta = `${a1.id}:1`;
const a2 = record('every value tag, nested list, ins/del by self ref (prev)', 'alice', main, [
  { type: 'ins', obj: stories, after: 'head', value: { make: 'map' } },
  { type: 'set', obj: { self: 0 }, key: 'title', value: 'first story' },
  { type: 'set', obj: { self: 0 }, key: 'points', value: 3 },
  { type: 'set', obj: { self: 0 }, key: 'done', value: false },
  { type: 'set', obj: { self: 0 }, key: 'blocked', value: true },
  { type: 'set', obj: { self: 0 }, key: 'owner', value: null },
  { type: 'set', obj: { self: 0 }, key: 'ratio', value: -0.25 },
  { type: 'set', obj: { self: 0 }, key: 'criteria', value: { make: 'list' } },
  { type: 'ins', obj: { self: 7 }, after: 'head', value: 'c1' },
  { type: 'ins', obj: { self: 7 }, after: { self: 8 }, value: 'c2' },
  { type: 'del', obj: { self: 7 }, elem: { self: 9 } },
]);
const story1 = `${a2.id}:0`;
const criteria = `${a2.id}:7`;
const b1 = record('another author: refs to other ops (deps), unicode string', 'bob', main, [
  { type: 'ins', obj: stories, after: story1, value: { make: 'map' } },
  { type: 'set', obj: { self: 0 }, key: 'title', value: 'unicode ✓ 🐺 é' },
  { type: 'set', obj: story1, key: 'stage', value: 'doing' },
  { type: 'del', obj: criteria, elem: `${a2.id}:8` },
]);
// Carol works concurrently from a replica that has seen a1, a2, b1.
const side = new Document();
side.replay(framesOf(main));
const c1 = record('concurrent op of a third author', 'carol', side, [
  { type: 'set', obj: story1, key: 'stage', value: 'review' },
  { type: 'ins', obj: criteria, after: 'head', value: 'c0' },
]);
const a3 = record('numbers at the edges, a list in a map in a map', 'alice', main, [
  { type: 'set', obj: meta, key: 'big', value: 1e300 },
  { type: 'set', obj: meta, key: 'tiny', value: 5e-324 },
  { type: 'set', obj: meta, key: 'int', value: 2 ** 53 - 1 },
  { type: 'set', obj: meta, key: 'zero', value: 0 },
  { type: 'set', obj: meta, key: 'deep', value: { make: 'map' } },
  { type: 'set', obj: { self: 4 }, key: 'tags', value: { make: 'list' } },
  { type: 'ins', obj: { self: 5 }, after: 'head', value: 'x' },
]);
main.ingest([c1.bytes]);
record('merge: two deps (heads of two authors) plus prev', 'alice', main, [
  { type: 'set', obj: story1, key: 'stage', value: 'done' },
  { type: 'del', obj: stories, elem: `${b1.id}:0` },
]);
record('bob second op: prev only, key of 128 bytes, empty string', 'bob', main, [
  { type: 'set', obj: meta, key: 'k'.repeat(128), value: '' },
]);
side.ingest(framesOf(main));
record('carol after catch-up', 'carol', side, [
  { type: 'ins', obj: criteria, after: `${c1.id}:1`, value: 'c0.5' },
  { type: 'set', obj: ROOT, key: 'emoji', value: '🐺🐺' },
]);
main.ingest(framesOf(side));
record('alice insert after a tombstone', 'alice', main, [
  { type: 'ins', obj: stories, after: `${b1.id}:0`, value: 'after tombstone' },
]);
record('bob delete of a concurrent insert', 'bob', main, [
  { type: 'del', obj: criteria, elem: `${c1.id}:1` },
]);
record('many actions in one op', 'alice', main,
  Array.from({ length: 20 }, (_, i): LocalAction => ({ type: 'set', obj: meta, key: `f${i}`, value: i })));
void a3;

const out = {
  description: 'Canonical op vectors (CORE2, CORE3). Generated once by generate.ts; do not edit by hand.',
  seeds: SEEDS,
  ops: vectors,
  final: { stateHash: main.stateHash(), json: main.toJson() },
};
writeFileSync(fileURLToPath(new URL('./ops.json', import.meta.url)), JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${vectors.length} vectors`);
