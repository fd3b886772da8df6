// Yjs on the board workload: a Y.Array of Y.Maps (criteria a nested Y.Array
// of Y.Maps), one Y.Doc per author, one transaction per logical edit; merge by
// state-vector diff (encodeStateAsUpdate / applyUpdate).
import * as Y from 'yjs';
import { CRITERIA, PositionMirror, editCount, shares, storyData, type WorkloadSize } from '../workload.js';
import { assertSame, type Engine, type EngineRun } from './engine.js';

function newStory(i: number): Y.Map<unknown> {
  const m = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(storyData(i))) m.set(k, v);
  const crit = new Y.Array<Y.Map<unknown>>();
  crit.push(CRITERIA.map((text) => { const c = new Y.Map<unknown>(); c.set('text', text); c.set('done', false); return c; }));
  m.set('criteria', crit);
  return m;
}

export function build(size: WorkloadSize): { docs: Y.Doc[]; applyMs: number } {
  const base = new Y.Doc();
  base.clientID = 100;
  base.getArray('stories'); // the empty board: a root type needs no update, but sync the base anyway
  const initUpdate = Y.encodeStateAsUpdate(base);
  const docs: Y.Doc[] = [];
  let applyMs = 0;
  shares(size).forEach((share, a) => {
    const doc = new Y.Doc();
    doc.clientID = a + 1;
    Y.applyUpdate(doc, initUpdate);
    const stories = doc.getArray<Y.Map<unknown>>('stories');
    const handles = new Map<number, Y.Map<unknown>>();
    const pos = new PositionMirror();
    const t = performance.now();
    for (const i of share.stories) {
      doc.transact(() => { const m = newStory(i); stories.insert(0, [m]); handles.set(i, m); });
      pos.prepend(i);
    }
    for (const u of share.updates) {
      doc.transact(() => {
        const m = handles.get(u.story)!;
        if (u.kind === 'stage') m.set('stage', u.stage);
        else if (u.kind === 'title') m.set('title', u.title);
        else (m.get('criteria') as Y.Array<Y.Map<unknown>>).get(u.criterion).set('done', u.done);
      });
    }
    for (const s of share.purges) doc.transact(() => stories.delete(pos.remove(s), 1));
    applyMs += performance.now() - t;
    docs.push(doc);
  });
  return { docs, applyMs };
}

function merge(docs: Y.Doc[]): number {
  const t = performance.now();
  for (const a of docs) {
    for (const b of docs) {
      if (a === b) continue;
      Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    }
  }
  return performance.now() - t;
}

export const yjs: Engine = {
  name: 'Yjs',
  async run(size): Promise<EngineRun> {
    const { docs, applyMs } = build(size);
    const mergeMs = merge(docs);
    assertSame('Yjs', docs.map((d) => JSON.stringify(d.getArray('stories').toJSON())));
    const encoded = Y.encodeStateAsUpdate(docs[0]!);
    const t = performance.now();
    const loaded = yjs.load(encoded) as Y.Doc;
    const loadMs = performance.now() - t;
    const stories = loaded.getArray('stories').length;
    return { applyMs, edits: editCount(size), mergeMs, encodedBytes: encoded.length, encoded, loadMs, stories };
  },
  load(encoded) {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, encoded);
    // Force the root type so the load includes integrating the array.
    doc.getArray('stories').length;
    return doc;
  },
};
