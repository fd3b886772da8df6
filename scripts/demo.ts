// A small demo of the core: two replicas edit a tiny board while offline from
// each other, exchange their signed ops in memory, and end with the same
// state and the same state hash. Run: node --import tsx scripts/demo.ts
import { Document, HEAD, ROOT, keyPairFromSeed, type Op } from '../src/core/index.js';

// Fixed seeds: the demo prints the same thing every run (keys come from the caller).
const alice = keyPairFromSeed(new Uint8Array(32).fill(1));
const bob = keyPairFromSeed(new Uint8Array(32).fill(2));
const a = new Document();
const b = new Document();

// Alice creates the board with one story and a criterion, in one op.
const genesis = a.change(alice, [
  { type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } },
  { type: 'ins', obj: { self: 0 }, after: HEAD, value: { make: 'map' } },
  { type: 'set', obj: { self: 1 }, key: 'title', value: 'Offline sync' },
  { type: 'set', obj: { self: 1 }, key: 'stage', value: 'backlog' },
  { type: 'set', obj: { self: 1 }, key: 'criteria', value: { make: 'list' } },
  { type: 'ins', obj: { self: 4 }, after: HEAD, value: { make: 'map' } },
  { type: 'set', obj: { self: 5 }, key: 'text', value: 'works with no network' },
  { type: 'set', obj: { self: 5 }, key: 'done', value: false },
]);
b.ingest([genesis.bytes]);
const stories = `${genesis.id}:0`;
const story = `${genesis.id}:1`;
const criterion = `${genesis.id}:5`;

// Concurrent edits: both move the story; Alice ticks the criterion, Bob adds a story.
const fromA: Op[] = [
  a.change(alice, [{ type: 'set', obj: story, key: 'stage', value: 'current' }]),
  a.change(alice, [{ type: 'set', obj: criterion, key: 'done', value: true }]),
];
const fromB: Op[] = [
  b.change(bob, [{ type: 'set', obj: story, key: 'stage', value: 'qa' }]),
  b.change(bob, [
    { type: 'ins', obj: stories, after: story, value: { make: 'map' } },
    { type: 'set', obj: { self: 0 }, key: 'title', value: 'Purge survives restart' },
    { type: 'set', obj: { self: 0 }, key: 'stage', value: 'backlog' },
  ]),
];

// Sync in memory: each side ingests the other's op bytes (verified, then applied).
const ra = a.ingest(fromB.map((op) => op.bytes));
const rb = b.ingest(fromA.map((op) => op.bytes));
console.log('alice ingested:', ra.outcomes.map((o) => o.status).join(', '));
console.log('bob ingested:  ', rb.outcomes.map((o) => o.status).join(', '));
console.log('\nalice:', JSON.stringify(a.toJson(), null, 2));
console.log('\nbob:  ', JSON.stringify(b.toJson(), null, 2));
console.log(`\nalice stateHash ${a.stateHash()}`);
console.log(`bob   stateHash ${b.stateHash()}`);
console.log(a.stateHash() === b.stateHash() ? 'converged: equal state hashes' : 'DIVERGED');
process.exitCode = a.stateHash() === b.stateHash() ? 0 : 1;
