import { describe, expect, test } from 'vitest';
import { Document, ROOT, type LocalAction } from '../core/index.js';
import { archiveStory, createStory, editStory, initBoard, moveStory, purgeStory } from './commands.js';
import { readBoard } from './board.js';
import { keys, signed, sync, unsigned } from './test-support.js';

const A = keys(1);
const B = keys(2);
const ctx = { author: A.hex, now: 1 };

function board(): Document {
  const doc = new Document();
  unsigned(doc, A.hex, initBoard(doc, ctx));
  return doc;
}
const make = (doc: Document, id: string, deps: string[] = [], extra: { stage?: 'done' } = {}) =>
  unsigned(doc, A.hex, createStory(doc, ctx, { id, kind: 'story', title: `t ${id}`, dependsOn: deps, ...extra }));

describe('readBoard', () => {
  test('[PIPE17] dependency statuses: met, waiting, archived-not-completed, unknown, purged, cycle', () => {
    const doc = board();
    for (const id of ['D-done', 'D-arch-ok', 'D-abandoned', 'D-wait', 'D-purged']) make(doc, id);
    unsigned(doc, A.hex, moveStory(doc, ctx, 'D-done', 'done'));
    unsigned(doc, A.hex, archiveStory(doc, ctx, 'D-arch-ok', 'completed'));
    unsigned(doc, A.hex, archiveStory(doc, ctx, 'D-abandoned', 'abandoned'));
    unsigned(doc, A.hex, purgeStory(doc, ctx, 'D-purged'));
    make(doc, 'S', ['D-done', 'D-arch-ok', 'D-abandoned', 'D-wait', 'D-purged', 'D-nobody']);
    make(doc, 'C1', ['C2']);
    make(doc, 'C2', ['C1', 'D-done']);
    const v = readBoard(doc);
    const s = v.stories.find((x) => x.id === 'S')!;
    expect(Object.fromEntries(s.deps.map((d) => [d.id, d.status]))).toEqual({
      'D-done': 'met', 'D-arch-ok': 'met', 'D-abandoned': 'archived-not-completed', 'D-wait': 'waiting',
      'D-purged': 'purged', 'D-nobody': 'unknown',
    });
    expect(s.deps.find((d) => d.id === 'D-abandoned')).toMatchObject({ reason: 'abandoned', title: 't D-abandoned' });
    expect(s.ready).toBe(false);
    const c2 = v.stories.find((x) => x.id === 'C2')!;
    expect(c2.deps.map((d) => d.status)).toEqual(['cycle', 'met']);
    expect(v.stories.find((x) => x.id === 'C1')!.deps[0]!.status).toBe('cycle');
    expect(v.purgedIds).toEqual(['D-purged']);
  });

  test('[PIPE18] a backlog story is ready when every dependency is met', () => {
    const doc = board();
    make(doc, 'D1'); make(doc, 'D2'); make(doc, 'S', ['D1', 'D2']); make(doc, 'Free');
    let v = readBoard(doc);
    expect(v.stories.filter((s) => s.ready).map((s) => s.id).sort()).toEqual(['D1', 'D2', 'Free']);
    unsigned(doc, A.hex, moveStory(doc, ctx, 'D1', 'done'));
    unsigned(doc, A.hex, archiveStory(doc, ctx, 'D2', 'completed'));
    v = readBoard(doc);
    expect(v.stories.find((s) => s.id === 'S')!.ready).toBe(true);
  });

  test('[PIPE10] invalid remote field values read as defaults with issues; the read never throws', () => {
    const doc = board();
    make(doc, 'S-1');
    const s = readBoard(doc).stories[0]!;
    const hostile: LocalAction[] = [
      { type: 'set', obj: s.elem, key: 'stage', value: 'banana' },
      { type: 'set', obj: s.elem, key: 'kind', value: 7 },
      { type: 'set', obj: s.elem, key: 'title', value: 'x'.repeat(600) },
      { type: 'set', obj: s.elem, key: 'retries', value: -3 },
      { type: 'set', obj: s.elem, key: 'criteria', value: 'nope' },
      { type: 'set', obj: s.elem, key: 'dependsOn', value: { make: 'list' } },
      { type: 'set', obj: s.elem, key: 'rank', value: { make: 'map' } },
    ];
    unsigned(doc, B.hex, hostile);
    // A story map without an id and a non-map element in the stories list.
    unsigned(doc, B.hex, [{ type: 'ins', obj: s.list, after: 'head', value: { make: 'map' } }, { type: 'ins', obj: s.list, after: 'head', value: 42 }]);
    const v = readBoard(doc);
    const r = v.stories[0]!;
    expect(r).toMatchObject({ id: 'S-1', stage: 'backlog', kind: 'story', title: '', retries: 0, criteria: [], dependsOn: [], rank: '' });
    expect(r.issues.length).toBe(7);
    expect(v.stories.length).toBe(1);
    expect(v.issues.some((i) => i.includes('missing or invalid id'))).toBe(true);
  });

  test('[PIPE9] two stories with one id: the element id sorting first is shown, and it is reported', () => {
    const a = new Document();
    signed(a, A, initBoard(a, ctx));
    const b = new Document();
    sync(a, b);
    signed(a, A, createStory(a, ctx, { id: 'S-x', kind: 'story', title: 'from A' }));
    signed(b, B, createStory(b, { author: B.hex, now: 1 }, { id: 'S-x', kind: 'bug', title: 'from B' }));
    sync(a, b); sync(b, a);
    const va = readBoard(a);
    const vb = readBoard(b);
    expect(va.stories.length).toBe(1);
    expect(va.stories[0]).toEqual(vb.stories[0]);
    const elems = a.ops().slice(-2).map((o) => `${o.id}:0`).sort();
    expect(va.stories[0]!.elem).toBe(elems[0]);
    expect(va.stories[0]!.issues.join()).toMatch(/duplicate id/);
    expect(va.issues.join()).toMatch(/duplicate story id S-x/);
  });

  test('[PIPE3] concurrent inits lose no stories: every list and map under the root is read', () => {
    const a = new Document();
    const b = new Document();
    signed(a, A, initBoard(a, ctx));
    signed(b, B, initBoard(b, { author: B.hex, now: 1 }));
    signed(a, A, createStory(a, ctx, { id: 'S-a', kind: 'story', title: 'a' }));
    signed(b, B, createStory(b, { author: B.hex, now: 1 }, { id: 'S-b', kind: 'story', title: 'b' }));
    sync(a, b); sync(b, a);
    for (const d of [a, b]) {
      expect(readBoard(d).stories.map((s) => s.id).sort()).toEqual(['S-a', 'S-b']);
      // Edits still reach a story in the losing list.
      unsigned(d, A.hex, editStory(d, ctx, 'S-a', { title: 'edited' }));
      expect(readBoard(d).stories.find((s) => s.id === 'S-a')!.title).toBe('edited');
    }
  });

  test('[PIPE3] a root field overwritten by a non-container hides nothing', () => {
    const doc = board();
    make(doc, 'S-1');
    unsigned(doc, B.hex, [{ type: 'set', obj: ROOT, key: 'stories', value: 'gone' }, { type: 'set', obj: ROOT, key: 'settings', value: 1 }]);
    const v = readBoard(doc);
    expect(v.stories.map((s) => s.id)).toEqual(['S-1']);
    expect(v.settings.retryLimit).toBe(3);
  });
});
