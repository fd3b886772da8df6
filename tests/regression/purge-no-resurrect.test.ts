// Regression: a purged (deleted) story never comes back (CORE10) — not after
// replaying the log, not when a stale replica's older ops arrive late, and not
// through concurrent edits to the purged story, in any delivery order.
import { beforeAll, expect, test } from 'vitest';
import { Document, type Json } from '../../src/core/index.js';
import { KEYS, framesOf, makeBoard, permutations, replicaOf } from '../support/core-fixtures.js';

let log: Uint8Array[];
let stale: Uint8Array[];
let concurrent: Uint8Array[];
let storyId: string;
let stories: string;

beforeAll(() => {
  const b = makeBoard(KEYS.alice);
  stories = b.stories;
  const s = b.addStory(KEYS.alice, 'doomed');
  storyId = s.story;
  b.addStory(KEYS.alice, 'keeper', s.story);
  stale = framesOf(b.doc); // what a replica that went offline before the purge holds
  const old = replicaOf(stale);
  // Concurrent edits to the story on the stale replica (it has not seen the purge).
  concurrent = [
    old.change(KEYS.bob, [{ type: 'set', obj: storyId, key: 'title', value: 'edited offline' }]),
    old.change(KEYS.bob, [{ type: 'ins', obj: stories, after: storyId, value: 'inserted after purged' }]),
    old.change(KEYS.carol, [{ type: 'del', obj: stories, elem: storyId }]),
    old.change(KEYS.carol, [{ type: 'set', obj: storyId, key: 'stage', value: 'done' }]),
  ].map((op) => op.bytes);
  b.doc.change(KEYS.alice, [{ type: 'del', obj: stories, elem: storyId }]);
  log = framesOf(b.doc);
});

const titles = (doc: Document): Json[] =>
  (doc.toJson(stories) as Json[]).map((x) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? x['title']! : x));

test('[CORE10] replaying the log keeps the story purged', () => {
  const doc = new Document();
  doc.replay(log);
  expect(titles(doc)).toEqual(['keeper']);
  expect(doc.dump().tombstones.elements).toEqual([{ list: stories, elem: storyId }]);
});

test('[CORE10] stale ops and concurrent edits to the purged story never resurrect it, in any order', () => {
  const hashes = new Set<string>();
  for (const order of permutations(concurrent)) {
    const doc = new Document();
    doc.replay(log);
    doc.ingest(stale); // older ops again: duplicates
    for (const f of order) doc.ingest([f]);
    doc.ingest([...log].reverse());
    expect(titles(doc)).toEqual(['inserted after purged', 'keeper']);
    expect(JSON.stringify(doc.toJson())).not.toContain('doomed');
    expect(JSON.stringify(doc.toJson())).not.toContain('edited offline');
    hashes.add(doc.stateHash());
  }
  // The stale replica catching up converges to the same state.
  const old = replicaOf([...stale, ...concurrent]);
  old.ingest(log);
  hashes.add(old.stateHash());
  expect(hashes.size).toBe(1);
});

test('[CORE10] a stale replica that replays its store and then ingests the purge hides the story', () => {
  const old = new Document();
  old.replay([...stale, ...concurrent.slice(0, 2)]); // bob's offline edits only: the story is still visible here
  expect(titles(old)).toContain('edited offline');
  old.ingest(log);
  old.ingest(concurrent.slice(2));
  expect(titles(old)).toEqual(['inserted after purged', 'keeper']);
});
