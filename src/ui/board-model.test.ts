// The UI's board model without a browser: patches, column order, drop ranks
// and filters (docs/SPEC.md UI3, UI4, UI10).
import { describe, expect, test } from 'vitest';
import { applyPatch, emptyColumns, filterColumns, matches, NO_FILTER, positionBefore, rankAt } from './board-model.js';
import type { BoardPatch, StoryView } from './replica-client.js';

const story = (id: string, rank: string, extra: Partial<StoryView> = {}): StoryView => ({
  id, rank, elem: `e-${id}`, list: 'l', kind: 'story', title: `title ${id}`, description: '', criteria: [], stage: 'backlog',
  dependsOn: [], assignee: null, blocked: false, blockedReason: null, retries: 0, archiveReason: null, createdBy: '', createdAt: 0,
  updatedBy: '', updatedAt: 0, doneAt: null, ready: false, deps: [], issues: [], ...extra,
} as StoryView);

const patch = (full: boolean, upserts: StoryView[], removed: string[] = []): BoardPatch => ({
  full, upserts, removed, initialised: true, settings: { autoPromote: false, archiveAfterMs: 1, retryLimit: 3 }, names: {}, purgedIds: [], issues: [],
});

describe('board model', () => {
  test('[UI3] a full patch sorts columns by rank then id; an incremental one moves a story between columns', () => {
    let board = applyPatch({ stories: new Map(), columns: emptyColumns() }, patch(true, [story('S-b', 'V'), story('S-a', 'V'), story('S-c', 'K')]));
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-c', 'S-a', 'S-b']);
    const qa = board.columns.qa;
    board = applyPatch(board, patch(false, [story('S-a', 'V', { stage: 'current' })]));
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-c', 'S-b']);
    expect(board.columns.current.map((s) => s.id)).toEqual(['S-a']);
    expect(board.columns.qa).toBe(qa);
    board = applyPatch(board, patch(false, [], ['S-c']));
    expect(board.stories.has('S-c')).toBe(false);
    expect(board.columns.backlog.map((s) => s.id)).toEqual(['S-b']);
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
