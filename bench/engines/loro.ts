// Loro (wasm) on the board workload: a LoroList of LoroMaps (criteria a
// LoroList of LoroMaps), one LoroDoc per author with a distinct peer id, one
// commit per logical edit; merge by exporting updates since the other's
// version and importing them. Size and load use the full snapshot.
import { LoroDoc, LoroList, LoroMap } from 'loro-crdt';
import { CRITERIA, PositionMirror, editCount, shares, storyData, type WorkloadSize } from '../workload.js';
import { assertSame, type Engine, type EngineRun } from './engine.js';

function build(size: WorkloadSize): { docs: LoroDoc[]; applyMs: number } {
  const base = new LoroDoc();
  base.setPeerId(100n);
  base.getList('stories');
  base.commit();
  const initBytes = base.export({ mode: 'snapshot' });
  const docs: LoroDoc[] = [];
  let applyMs = 0;
  shares(size).forEach((share, a) => {
    const doc = new LoroDoc();
    doc.setPeerId(BigInt(a + 1));
    doc.import(initBytes);
    const stories = doc.getList('stories');
    const handles = new Map<number, LoroMap>();
    const pos = new PositionMirror();
    const t = performance.now();
    for (const i of share.stories) {
      const m = stories.insertContainer(0, new LoroMap());
      for (const [k, v] of Object.entries(storyData(i))) m.set(k, v);
      const crit = m.setContainer('criteria', new LoroList());
      CRITERIA.forEach((text, c) => { const cm = crit.insertContainer(c, new LoroMap()); cm.set('text', text); cm.set('done', false); });
      doc.commit();
      handles.set(i, m);
      pos.prepend(i);
    }
    for (const u of share.updates) {
      const m = handles.get(u.story)!;
      if (u.kind === 'stage') m.set('stage', u.stage);
      else if (u.kind === 'title') m.set('title', u.title);
      else ((m.get('criteria') as LoroList).get(u.criterion) as LoroMap).set('done', u.done);
      doc.commit();
    }
    for (const s of share.purges) { stories.delete(pos.remove(s), 1); doc.commit(); }
    applyMs += performance.now() - t;
    docs.push(doc);
  });
  return { docs, applyMs };
}

function merge(docs: LoroDoc[]): number {
  const t = performance.now();
  for (const a of docs) for (const b of docs) if (a !== b) a.import(b.export({ mode: 'update', from: a.oplogVersion() }));
  return performance.now() - t;
}

export const loro: Engine = {
  name: 'Loro',
  async run(size): Promise<EngineRun> {
    const { docs, applyMs } = build(size);
    const mergeMs = merge(docs);
    assertSame('Loro', docs.map((d) => JSON.stringify(d.getList('stories').toJSON())));
    const encoded = docs[0]!.export({ mode: 'snapshot' });
    const updatesBytes = docs[0]!.export({ mode: 'update' }).length;
    const t = performance.now();
    const loaded = loro.load(encoded) as LoroDoc;
    const loadMs = performance.now() - t;
    return { applyMs, edits: editCount(size), mergeMs, encodedBytes: encoded.length, encoded, loadMs, stories: loaded.getList('stories').length, extra: { updatesBytes } };
  },
  load(encoded) {
    const doc = new LoroDoc();
    doc.import(encoded);
    return doc;
  },
};
