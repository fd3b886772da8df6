// CORE17: the document's log keeps each applied op as metadata and its signed
// bytes, never the decoded op; decoded ops are made again on demand.
import { describe, expect, test } from 'vitest';
import { toHex } from './bytes.js';
import { Document } from './document.js';
import { keyPairFromSeed } from './sign.js';
import { HEAD, ROOT } from './op.js';

const alice = keyPairFromSeed(new Uint8Array(32).fill(1));
const bob = keyPairFromSeed(new Uint8Array(32).fill(2));

function board(): Document {
  const doc = new Document();
  doc.change(alice, [{ type: 'set', obj: ROOT, key: 'items', value: { make: 'list' } }]);
  const items = `${doc.log()[0]!.id}:0`;
  doc.change(alice, [{ type: 'ins', obj: items, after: HEAD, value: { make: 'map' } }, { type: 'set', obj: { self: 0 }, key: 'title', value: 'one' }]);
  doc.change(bob, [{ type: 'set', obj: ROOT, key: 'name', value: 'board' }]);
  return doc;
}

describe('[CORE17] the log keeps metadata and bytes, not decoded ops', () => {
  test('log() holds each op once, in insertion order, with the bytes it was received as', () => {
    const a = board();
    const frames = a.log().map((o) => o.bytes);
    const b = new Document();
    const result = b.ingest(frames);
    expect(result.outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(b.log().map((o) => ({ id: o.id, author: o.author, seq: o.seq, lamport: o.lamport })))
      .toEqual(result.applied.map((o) => ({ id: o.id, author: o.author, seq: o.seq, lamport: o.lamport })));
    expect(b.log().map((o) => toHex(o.bytes))).toEqual(frames.map(toHex));
    for (const o of b.log()) expect(b.bytesOf(o.id)).toBe(o.bytes);
    expect(b.bytesOf('0'.repeat(64))).toBeUndefined();
    // Nothing in the log is a decoded op: no actions, no signature object.
    for (const o of b.log()) expect(Object.keys(o).sort()).toEqual(['author', 'bytes', 'id', 'lamport', 'seq']);
  });

  test('ops() decodes again, equal to the ops applied, new objects each call', () => {
    const a = board();
    const b = new Document();
    const applied = b.ingest(a.log().map((o) => o.bytes)).applied;
    const once = b.ops();
    expect(once.map((o) => ({ ...o }))).toEqual(applied.map((o) => ({ ...o })));
    expect(b.ops()[0]).not.toBe(once[0]);
  });
});
