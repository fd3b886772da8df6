// Automerge 3 (wasm) on the board workload: a list of story objects (criteria
// a nested list of objects), one doc per author with its own actor id, one
// `change` per logical edit; merge with `Automerge.merge`. The package's
// "node" ESM entry loads the wasm synchronously, so no init call is needed.
import * as A from '@automerge/automerge';
import { CRITERIA, PositionMirror, editCount, shares, storyData, type WorkloadSize } from '../workload.js';
import { assertSame, type Engine, type EngineRun } from './engine.js';

interface Story { [key: string]: unknown; criteria: { text: string; done: boolean }[] }
type Board = { stories: Story[] };

const actor = (a: number) => (a + 1).toString(16).padStart(32, '0');

function build(size: WorkloadSize): { docs: A.Doc<Board>[]; applyMs: number } {
  const base = A.from<Board>({ stories: [] }, { actor: 'ff'.padStart(32, '0') });
  const initBytes = A.save(base);
  const docs: A.Doc<Board>[] = [];
  let applyMs = 0;
  shares(size).forEach((share, a) => {
    let doc = A.load<Board>(initBytes, { actor: actor(a) });
    const pos = new PositionMirror();
    const t = performance.now();
    for (const i of share.stories) {
      doc = A.change(doc, (d) => {
        A.insertAt(d.stories, 0, { ...storyData(i), criteria: CRITERIA.map((text) => ({ text, done: false })) });
      });
      pos.prepend(i);
    }
    for (const u of share.updates) {
      const at = pos.indexOf(u.story);
      doc = A.change(doc, (d) => {
        const s = d.stories[at]!;
        if (u.kind === 'stage') s.stage = u.stage;
        else if (u.kind === 'title') s.title = u.title;
        else s.criteria[u.criterion]!.done = u.done;
      });
    }
    for (const s of share.purges) {
      const at = pos.remove(s);
      doc = A.change(doc, (d) => { A.deleteAt(d.stories, at); });
    }
    applyMs += performance.now() - t;
    docs.push(doc);
  });
  return { docs, applyMs };
}

function merge(docs: A.Doc<Board>[]): { docs: A.Doc<Board>[]; ms: number } {
  // A merged doc replaces its input, so each replica merges copies of the others taken before (untimed).
  const copies = docs.map((_, a) => docs.map((o, b) => (a === b ? o : A.clone(o))));
  const t = performance.now();
  const out = docs.map((d, a) => {
    let m = d;
    docs.forEach((_, b) => { if (a !== b) m = A.merge(m, copies[a]![b]!); });
    return m;
  });
  return { docs: out, ms: performance.now() - t };
}

export const automerge: Engine = {
  name: 'Automerge',
  async run(size): Promise<EngineRun> {
    const { docs, applyMs } = build(size);
    const merged = merge(docs);
    assertSame('Automerge', merged.docs.map((d) => JSON.stringify(A.toJS(d).stories)));
    const encoded = A.save(merged.docs[0]!);
    const t = performance.now();
    const loaded = automerge.load(encoded) as A.Doc<Board>;
    const loadMs = performance.now() - t;
    return { applyMs, edits: editCount(size), mergeMs: merged.ms, encodedBytes: encoded.length, encoded, loadMs, stories: loaded.stories.length };
  },
  load(encoded) {
    return A.load<Board>(encoded);
  },
};
