// The UI's board model without a browser: patches, column order, drop ranks
// and filters (docs/SPEC.md UI3, UI4, UI10).
import { describe, expect, test } from 'vitest';
import { BoardMirror, ColumnFilter, emptyColumns, filterColumns, groupByStage, matches, NO_FILTER, positionBefore, predictMove, rankAt, SYNC_PILL_MIN_OPS, syncProgress, syncProgressText, type Columns, type Filter } from './board-model.js';
import { STAGES } from './replica-client.js';
import type { BoardPatch, SessionRow, StoryView } from './replica-client.js';

const story = (id: string, rank: string, extra: Partial<StoryView> = {}): StoryView => ({
  id, rank, elem: `e-${id}`, list: 'l', kind: 'story', title: `title ${id}`, description: '', criteria: [], stage: 'backlog',
  dependsOn: [], assignee: null, blocked: false, blockedReason: null, retries: 0, archiveReason: null, createdBy: '', createdAt: 0,
  updatedBy: '', updatedAt: 0, doneAt: null, ready: false, deps: [], issues: [], ...extra,
} as StoryView);

const patch = (full: boolean, upserts: StoryView[], removed: string[] = [], commands = 0): BoardPatch => ({
  full, upserts, removed, commands,
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
  test('[UI17] a predicted move shows at once; the patch that reflects the command replaces it; a refusal brings the worker\'s view back', () => {
    const board = new BoardMirror();
    const a = story('S-a', 'V', { deps: [{ id: 'S-x', status: 'met' }], ready: true });
    board.apply(patch(true, [a, story('S-b', 'K')]));
    // Shown in the same call, readiness re-derived (PIPE18): only backlog stories are ready.
    const moved = board.predict(predictMove(a, 'current', 'A'), 1)!;
    expect([...moved.touched].sort()).toEqual(['backlog', 'current']);
    expect(board.columns.current.map((s) => [s.id, s.rank, s.ready])).toEqual([['S-a', 'A', false]]);
    // Refused (or a no-op): the worker's view comes back.
    expect([...board.settle(moved.prediction, false)].sort()).toEqual(['backlog', 'current']);
    expect(board.columns.current).toEqual([]);
    expect(board.stories.get('S-a')).toBe(a);
    // Applied: the answer changes nothing; the patch reflecting command 2 wins whatever it says.
    const again = board.predict(predictMove(a, 'current', 'A'), 2)!;
    expect(board.settle(again.prediction, true).size).toBe(0);
    expect(board.stories.get('S-a')!.stage).toBe('current');
    const confirmed = story('S-a', 'Am', { stage: 'current' });
    board.apply(patch(false, [confirmed], [], 2));
    expect(board.stories.get('S-a')).toBe(confirmed);
    expect(board.columns.current).toEqual([confirmed]);
  });

  test('[UI17] a patch that does not reflect the command yet keeps the prediction shown and updates the view it covers', () => {
    const board = new BoardMirror();
    const a = story('S-a', 'V');
    board.apply(patch(true, [a, story('S-b', 'K')], [], 4));
    const shown = board.predict(predictMove(a, 'qa', 'V'), 5)!;
    // A peer's rename, applied before the command (the patch counts 4 commands).
    const renamed = story('S-a', 'V', { title: 'renamed by a peer' });
    board.apply(patch(false, [renamed, story('S-b', 'A')], [], 4));
    expect(board.stories.get('S-a')!.stage).toBe('qa');
    expect(board.stories.get('S-b')!.rank).toBe('A');
    // Then refused: the latest worker view comes back, not the one the prediction first covered.
    board.settle(shown.prediction, false);
    expect(board.stories.get('S-a')).toBe(renamed);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-b', 'S-a']);
    // A patch that reflects the command but does not carry the story (it changed nothing) settles it too.
    const noop = board.predict(predictMove(renamed, 'qa', 'V'), 6)!;
    board.apply(patch(false, [story('S-b', 'B')], [], 6));
    expect(board.stories.get('S-a')).toBe(renamed);
    expect(board.settle(noop.prediction, false).size).toBe(0);
    // Removed by a peer while predicted: gone once settled.
    const gone = board.predict(predictMove(renamed, 'done', 'V'), 7)!;
    board.apply(patch(false, [], ['S-a'], 6));
    expect(board.stories.get('S-a')!.stage).toBe('done');
    board.settle(gone.prediction, false);
    expect(board.stories.has('S-a')).toBe(false);
    // A story the mirror does not hold is not predicted.
    expect(board.predict(story('S-zz', 'A'), 8)).toBeNull();
    // A full patch (a new subscription) keeps the predictions it does not reflect, and settles the others.
    const kept = board.predict(predictMove(board.stories.get('S-b')!, 'done', 'A'), 8)!;
    const fresh = story('S-b', 'B', { title: 'fresh' });
    board.apply(patch(true, [fresh, story('S-c', 'C')], [], 7));
    expect(board.columns.done.map((s) => s.id)).toEqual(['S-b']);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-c']);
    board.settle(kept.prediction, false);
    expect(board.stories.get('S-b')).toBe(fresh);
    const settled = board.predict(predictMove(fresh, 'done', 'A'), 9)!;
    board.apply(patch(true, [fresh, story('S-c', 'C')], [], 9));
    expect(board.stories.get('S-b')).toBe(fresh);
    expect(board.settle(settled.prediction, false).size).toBe(0);
  });

  test('[UI17] two predictions in a row: the first command\'s patch keeps the second shown; its refusal brings back the worker\'s view', () => {
    const board = new BoardMirror();
    const a = story('S-a', 'V');
    board.apply(patch(true, [a]));
    const first = board.predict(predictMove(a, 'current', 'V'), 1)!;
    const second = board.predict(predictMove(board.stories.get('S-a')!, 'qa', 'V'), 2)!;
    expect(board.settle(first.prediction, true).size).toBe(0);
    const moved = story('S-a', 'V', { stage: 'current' });
    board.apply(patch(false, [moved], [], 1));
    expect(board.stories.get('S-a')!.stage).toBe('qa');
    board.settle(second.prediction, false);
    expect(board.stories.get('S-a')).toBe(moved);
    expect(board.columns.current).toEqual([moved]);
    expect(board.columns.backlog).toEqual([]);
  });

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

  test('[UI18][SYNC16] the catch-up in progress sums the sessions still syncing, never past what they announced', () => {
    const row = (id: string, name: string, state: SessionRow['state'], received: number, expected: number): SessionRow =>
      ({ id, name, via: 'webrtc', frames: 'worker', state, sent: 0, received, expected, held: false, queued: 0, bytesReceived: 0, bytesSent: 0, deflate: true });
    const status = (...sessions: SessionRow[]) => sessions;
    expect(syncProgress(undefined)).toBeNull();
    // Live, or syncing with nothing announced (the peer had nothing we lacked): nothing to show.
    expect(syncProgress(status(row('p1', 'Ada', 'live', 500, 500), row('p2', 'Bo', 'syncing', 0, 0)))).toBeNull();
    const p = syncProgress(status(row('p1', 'Ada', 'syncing', 45_210, 100_002), row('9f3ac2e1d0', '', 'syncing', 700, 600), row('p3', 'Cy', 'live', 10, 10)))!;
    expect(p).toEqual({ received: 45_810, expected: 100_602, percent: 45, from: ['Ada', '9f3ac2e1'] });
    expect(syncProgressText(p)).toBe('Receiving 45,810 of 100,602 changes from Ada, 9f3ac2e1 (45%)');
    // The header's threshold: a reconnect's few ops make no pill; the panel (no threshold) still shows them.
    const small = status(row('p1', 'Ada', 'syncing', 3, 12));
    expect(syncProgress(small, SYNC_PILL_MIN_OPS)).toBeNull();
    expect(syncProgress(small)).toMatchObject({ received: 3, expected: 12, percent: 25 });
  });
});
