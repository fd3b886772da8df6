// The UI's board model without a browser: patches, column order, drop ranks
// and filters (docs/SPEC.md UI3, UI4, UI10).
import { describe, expect, test } from 'vitest';
import { BoardMirror, ColumnFilter, emptyColumns, filterColumns, groupByStage, matches, NO_FILTER, positionBefore, rankAt, type Columns, type Filter } from './board-model.js';
import { STAGES } from './replica-client.js';
import type { BoardPatch, StoryView } from './replica-client.js';

const story = (id: string, rank: string, extra: Partial<StoryView> = {}): StoryView => ({
  id, rank, elem: `e-${id}`, list: 'l', kind: 'story', title: `title ${id}`, description: '', criteria: [], stage: 'backlog',
  dependsOn: [], assignee: null, blocked: false, blockedReason: null, retries: 0, archiveReason: null, createdBy: '', createdAt: 0,
  updatedBy: '', updatedAt: 0, doneAt: null, ready: false, deps: [], issues: [], ...extra,
} as StoryView);

const patch = (full: boolean, upserts: StoryView[], removed: string[] = []): BoardPatch => ({
  full, upserts, removed,
  ...(full ? { meta: { initialised: true, settings: { autoPromote: false, archiveAfterMs: 1, retryLimit: 3 }, names: {}, purgedIds: [], issues: [] } } : {}),
});

/** A seeded generator (mulberry32): the model tests are deterministic. */
function rng(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

describe('board model', () => {
  test('[UI3] a full patch sorts columns by rank then id; an incremental one moves a story between columns', () => {
    const board = new BoardMirror();
    expect([...board.apply(patch(true, [story('S-b', 'V'), story('S-a', 'V'), story('S-c', 'K')]))]).toEqual([...STAGES]);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-c', 'S-a', 'S-b']);
    const qa = board.columns.qa;
    const backlog = board.columns.backlog;
    expect([...board.apply(patch(false, [story('S-a', 'V', { stage: 'current' })]))].sort()).toEqual(['backlog', 'current']);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-c', 'S-b']);
    expect(board.columns.current.map((s) => s.id)).toEqual(['S-a']);
    expect(board.columns.qa).toBe(qa);
    // Columns are replaced, never mutated: a renderer holding the old array keeps what it showed.
    expect(backlog.map((s) => s.id)).toEqual(['S-c', 'S-a', 'S-b']);
    board.apply(patch(false, [], ['S-c']));
    expect(board.stories.has('S-c')).toBe(false);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-b']);
  });

  test('[UI3] seeded patches: the mirror always equals a full regroup, touches only the changed columns, and counts assignees', () => {
    const rnd = rng(7);
    const board = new BoardMirror();
    const truth = new Map<string, StoryView>();
    const ranks = ['A', 'K', 'V', 'Vk', 'a', 'z'];
    const make = (i: number) => story(`S-${rnd(40)}`, ranks[rnd(ranks.length)]!, {
      stage: STAGES[rnd(STAGES.length)]!, assignee: rnd(3) === 0 ? null : `dev-${rnd(5)}`, elem: `e-${i}`,
    });
    const initial = Array.from({ length: 30 }, (_, i) => make(i));
    for (const s of initial) truth.set(s.id, s);
    board.apply(patch(true, [...truth.values()]));
    for (let step = 0; step < 400; step++) {
      const before = board.columns;
      const upserts: StoryView[] = [];
      const removed: string[] = [];
      for (let k = rnd(3); k >= 0; k--) {
        if (rnd(5) === 0 && truth.size > 0) { const id = [...truth.keys()][rnd(truth.size)]!; if (!upserts.some((u) => u.id === id)) { removed.push(id); truth.delete(id); } }
        else { const s = make(1000 + step * 4 + k); if (!removed.includes(s.id) && !upserts.some((u) => u.id === s.id)) { upserts.push(s); truth.set(s.id, s); } }
      }
      const changedStages = new Set<string>();
      for (const id of removed) { const o = board.stories.get(id); if (o) changedStages.add(o.stage); }
      for (const s of upserts) { changedStages.add(s.stage); const o = board.stories.get(s.id); if (o) changedStages.add(o.stage); }
      const touched = board.apply(patch(false, upserts, removed));
      expect([...touched].sort(), `step ${step}`).toEqual([...changedStages].sort());
      const expected = groupByStage(truth.values());
      for (const stage of STAGES) {
        expect(board.columns[stage].map((s) => s.id), `step ${step} ${stage}`).toEqual(expected[stage].map((s) => s.id));
        if (!touched.has(stage)) expect(board.columns[stage]).toBe(before[stage]);
      }
      expect([...board.stories.keys()].sort()).toEqual([...truth.keys()].sort());
      const assignees = [...new Set([...truth.values()].map((s) => s.assignee).filter((a): a is string => !!a))].sort();
      expect(board.assignees).toEqual(assignees);
    }
  });

  test('[UI10] ColumnFilter equals filterColumns, keeps untouched columns, and narrows a growing search', () => {
    const rnd = rng(3);
    const words = ['', 's', 'st', 'sto', 'stor', 'story 1', 'story 12', 'x'];
    const board = new BoardMirror();
    board.apply(patch(true, Array.from({ length: 60 }, (_, i) => story(`S-${i}`, ['A', 'K', 'V'][i % 3]!, {
      stage: STAGES[i % 5]!, title: `story ${i}`, kind: i % 2 ? 'bug' : 'story', assignee: `dev-${i % 3}`,
    }))));
    const cf = new ColumnFilter();
    let filter: Filter = NO_FILTER;
    let before: Columns | undefined, prevCols: Columns | undefined, prevFilter: Filter | undefined;
    for (let step = 0; step < 200; step++) {
      const r = rnd(4);
      if (r === 0) filter = { ...filter, text: words[rnd(words.length)]! };
      else if (r === 1) filter = { ...filter, kind: ['', 'bug', 'story'][rnd(3)]! };
      else if (r === 2) board.apply(patch(false, [story(`S-${rnd(60)}`, ['B', 'L', 'W'][rnd(3)]!, { stage: STAGES[rnd(5)]!, title: `story ${rnd(99)}` })]));
      const out = cf.apply(board.columns, filter);
      const want = filterColumns(board.columns, filter);
      for (const stage of STAGES) {
        expect(out[stage].map((s) => s.id), `step ${step}`).toEqual(want[stage].map((s) => s.id));
        if (before && prevCols && prevFilter === filter && prevCols[stage] === board.columns[stage]) expect(out[stage]).toBe(before[stage]);
      }
      [before, prevCols, prevFilter] = [out, board.columns, filter];
    }
  });

  test('[UI4] a drop rank lies between the neighbours, skipping equal and unreadable ranks', () => {
    const col = [story('S-1', 'A'), story('S-2', 'K'), story('S-3', 'K'), story('S-4', '')];
    const r = rankAt(col, 'S-9', 1);
    expect(r > 'A' && r < 'K').toBe(true);
    // Between two equal ranks there is no room: step back to A.
    const eq = rankAt(col, 'S-9', 2);
    expect(eq > 'A' && eq < 'K').toBe(true);
    // At the end, the unreadable rank is ignored.
    expect(rankAt(col, 'S-9', 4) > 'K').toBe(true);
    // The moving story itself is not a neighbour.
    expect(positionBefore(col, 'S-1', 'S-3')).toBe(1);
    expect(positionBefore(col, 'S-1', null)).toBe(3);
  });

  test('[UI10] search covers title, id and description; filters combine', () => {
    const s = story('S-x1', 'V', { title: 'Parser', description: 'handles **bold**', assignee: 'ada', blocked: true });
    expect(matches(s, { ...NO_FILTER, text: 'pars' })).toBe(true);
    expect(matches(s, { ...NO_FILTER, text: 's-x1' })).toBe(true);
    expect(matches(s, { ...NO_FILTER, text: 'bold' })).toBe(true);
    expect(matches(s, { ...NO_FILTER, assignee: 'bob' })).toBe(false);
    expect(matches(s, { ...NO_FILTER, blocked: true, ready: true })).toBe(false);
    const cols = { ...emptyColumns(), backlog: [s] };
    expect(filterColumns(cols, NO_FILTER)).toBe(cols);
  });
});
