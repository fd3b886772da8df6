import { describe, expect, test } from 'vitest';
import { Document } from '../core/index.js';
import { createStory, initBoard, moveStory, recordRetry, setSetting } from './commands.js';
import { commandActions } from './dispatch.js';
import { BoardIndex, readBoard } from './board.js';
import { dueAutomations } from './rules.js';
import { keys, signed, sync } from './test-support.js';

const A = keys(1);
const B = keys(2);
const HOUR = 3600_000;
const ctx = (now: number, k = A) => ({ author: k.hex, now });

/** Runs every due automation on `doc` at `now` as one op each. */
function automate(doc: Document, k: typeof A, now: number): number {
  const view = readBoard(doc);
  let n = 0;
  for (const cmd of dueAutomations(view, now)) {
    const actions = commandActions(doc, ctx(now, k), cmd, view.settings);
    if (actions.length > 0) { signed(doc, k, actions); n++; }
  }
  return n;
}

function board(): Document {
  const doc = new Document();
  signed(doc, A, initBoard(doc, ctx(0)));
  return doc;
}

describe('rules', () => {
  test('[PIPE21] with autoPromote on, a ready backlog story moves to current; off, it is only marked ready', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(0), { id: 'D', kind: 'story', title: 'd', stage: 'qa' }));
    signed(doc, A, createStory(doc, ctx(0), { id: 'S', kind: 'story', title: 's', dependsOn: ['D'] }));
    expect(dueAutomations(readBoard(doc), 0)).toEqual([]);
    signed(doc, A, moveStory(doc, ctx(1), 'D', 'done'));
    expect(readBoard(doc).stories.find((s) => s.id === 'S')!.ready).toBe(true);
    expect(dueAutomations(readBoard(doc), 2)).toEqual([]);
    signed(doc, A, setSetting(doc, ctx(2), 'autoPromote', true));
    expect(dueAutomations(readBoard(doc), 2)).toEqual([{ type: 'auto', rule: 'promote', storyId: 'S' }]);
    automate(doc, A, 2);
    expect(readBoard(doc).stories.find((s) => s.id === 'S')!.stage).toBe('current');
  });

  test('[PIPE22] a done story is archived as completed after archiveAfterMs (injected clock)', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(0), { id: 'S', kind: 'story', title: 's' }));
    signed(doc, A, moveStory(doc, ctx(1000), 'S', 'done'));
    expect(dueAutomations(readBoard(doc), 1000 + 4 * HOUR - 1)).toEqual([]);
    expect(automate(doc, A, 1000 + 4 * HOUR)).toBe(1);
    expect(readBoard(doc).stories[0]).toMatchObject({ stage: 'archived', archiveReason: 'completed' });
    signed(doc, A, setSetting(doc, ctx(0), 'archiveAfterMs', 60_000));
    signed(doc, A, createStory(doc, ctx(0), { id: 'T', kind: 'story', title: 't', stage: 'done' }));
    expect(dueAutomations(readBoard(doc), 60_000).map((c) => c.storyId)).toEqual(['T']);
  });

  test('[PIPE23] retries past the limit block the story with reason "retry limit"', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(0), { id: 'S', kind: 'story', title: 's', stage: 'current' }));
    for (let i = 0; i < 3; i++) signed(doc, A, recordRetry(doc, ctx(i), 'S'));
    expect(dueAutomations(readBoard(doc), 10)).toEqual([]);
    signed(doc, A, recordRetry(doc, ctx(4), 'S'));
    expect(automate(doc, A, 10)).toBe(1);
    expect(readBoard(doc).stories[0]).toMatchObject({ blocked: true, blockedReason: 'retry limit', retries: 4 });
    expect(dueAutomations(readBoard(doc), 11)).toEqual([]);
  });

  test('[PIPE24] automatic moves run by two replicas at once converge to one result', () => {
    const a = board();
    signed(a, A, setSetting(a, ctx(0), 'autoPromote', true));
    signed(a, A, createStory(a, ctx(0), { id: 'D', kind: 'story', title: 'd', stage: 'done' }));
    signed(a, A, createStory(a, ctx(0), { id: 'S', kind: 'story', title: 's', dependsOn: ['D'] }));
    signed(a, A, createStory(a, ctx(0), { id: 'R', kind: 'story', title: 'r', stage: 'qa' }));
    for (let i = 0; i < 4; i++) signed(a, A, recordRetry(a, ctx(0), 'R'));
    const b = new Document();
    sync(a, b);
    const now = 5 * HOUR;
    expect(automate(a, A, now)).toBe(3);
    expect(automate(b, B, now + 7)).toBe(3);
    const ib = new BoardIndex(b);
    const events = ib.update(b.ingest(a.ops().filter((o) => !b.has(o.id)).map((o) => o.bytes)).applied, now);
    sync(b, a);
    expect(a.stateHash()).toBe(b.stateHash());
    const va = readBoard(a);
    expect(va).toEqual(readBoard(b));
    expect(Object.fromEntries(va.stories.map((s) => [s.id, [s.stage, s.archiveReason, s.blocked]]))).toEqual({
      D: ['archived', 'completed', false], S: ['current', null, false], R: ['qa', null, true],
    });
    // B already made the same moves, so A's identical writes change nothing B shows: no events.
    expect(events).toEqual([]);
    expect(dueAutomations(va, now + 1)).toEqual([]);
  });
});
