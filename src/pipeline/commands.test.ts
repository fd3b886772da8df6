import { describe, expect, test } from 'vitest';
import { Document, ROOT, type Op } from '../core/index.js';
import {
  archiveStory, blockStory, createStory, editStory, initBoard, moveStory, newStoryId, purgeStory,
  recordRetry, reorderStory, setDisplayName, setSetting, unblockStory,
} from './commands.js';
import { CommandError } from './errors.js';
import { readBoard } from './board.js';
import { checkSet, validateOpForBoard } from './schema.js';
import { keys, signed, sync } from './test-support.js';

const A = keys(1);
const ctx = (now = 1000) => ({ author: A.hex, now });

function board(): Document {
  const doc = new Document();
  signed(doc, A, initBoard(doc, ctx()));
  return doc;
}

describe('commands', () => {
  test('[PIPE2] initBoard creates stories/settings/names once, then nothing', () => {
    const doc = board();
    const v = readBoard(doc);
    expect(v.initialised).toBe(true);
    expect(v.settings).toEqual({ autoPromote: false, archiveAfterMs: 4 * 3600_000, retryLimit: 3 });
    expect(initBoard(doc, ctx())).toEqual([]);
  });

  test('[PIPE4] createStory is one op holding the story with its criteria and dependencies', () => {
    const doc = board();
    const before = doc.ops().length;
    signed(doc, A, createStory(doc, ctx(5), {
      id: 'S-1', kind: 'bug', title: 'Fix it', description: '# md', criteria: ['a', { text: 'b', done: true }], dependsOn: ['S-0'],
    }));
    expect(doc.ops().length).toBe(before + 1);
    const s = readBoard(doc).stories[0]!;
    expect(s).toMatchObject({
      id: 'S-1', kind: 'bug', title: 'Fix it', description: '# md', stage: 'backlog', dependsOn: ['S-0'],
      assignee: null, blocked: false, retries: 0, createdBy: A.hex, createdAt: 5, doneAt: null, issues: [],
    });
    expect(s.criteria.map((c) => [c.text, c.done])).toEqual([['a', false], ['b', true]]);
  });

  test('[PIPE6] misuse throws a CommandError; unchanged edits give []', () => {
    const doc = new Document();
    expect(() => createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't' })).toThrow(CommandError);
    signed(doc, A, initBoard(doc, ctx()));
    signed(doc, A, createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't' }));
    const bad: (() => unknown)[] = [
      () => createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't' }),
      () => createStory(doc, ctx(), { id: 'bad id!', kind: 'story', title: 't' }),
      () => createStory(doc, ctx(), { id: 'S-2', kind: 'epic' as never, title: 't' }),
      () => createStory(doc, ctx(), { id: 'S-2', kind: 'story', title: 'x'.repeat(501) }),
      () => createStory(doc, ctx(), { id: 'S-2', kind: 'story', title: 't', dependsOn: ['S-2'] }),
      () => editStory(doc, ctx(), 'S-9', { title: 'x' }),
      () => moveStory(doc, ctx(), 'S-1', 'banana' as never),
      () => moveStory(doc, ctx(), 'S-1', 'archived'),
      () => archiveStory(doc, ctx(), 'S-1', 'bored' as never),
      () => editStory(doc, ctx(), 'S-1', { criteria: [{ op: 'remove', elem: 'nope' }] }),
      () => setSetting(doc, ctx(), 'retryLimit', -1),
    ];
    for (const f of bad) expect(f).toThrow(CommandError);
    expect(editStory(doc, ctx(), 'S-1', { title: 't' })).toEqual([]);
    expect(moveStory(doc, ctx(), 'S-1', 'backlog')).toEqual([]);
  });

  test('[PIPE7] editStory writes fields, dependency diffs and criteria changes', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't', criteria: ['a', 'b'], dependsOn: ['S-x', 'S-y'] }));
    const [a, b] = readBoard(doc).stories[0]!.criteria;
    signed(doc, A, editStory(doc, ctx(9), 'S-1', {
      title: 'T', kind: 'spike', assignee: 'ann', dependsOn: ['S-y', 'S-z'],
      criteria: [{ op: 'remove', elem: a!.elem }, { op: 'text', elem: b!.elem, text: 'B' }, { op: 'done', elem: b!.elem, done: true }, { op: 'add', text: 'c' }],
    }));
    const s = readBoard(doc).stories[0]!;
    expect(s).toMatchObject({ title: 'T', kind: 'spike', assignee: 'ann', dependsOn: ['S-y', 'S-z'], updatedAt: 9 });
    expect(s.criteria.map((c) => [c.text, c.done])).toEqual([['B', true], ['c', false]]);
  });

  test('[PIPE8] move, reorder, block, retry, unblock, archive set the documented fields', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't' }));
    signed(doc, A, moveStory(doc, ctx(50), 'S-1', 'done'));
    let s = readBoard(doc).stories[0]!;
    expect([s.stage, s.doneAt]).toEqual(['done', 50]);
    signed(doc, A, reorderStory(doc, ctx(), 'S-1', 'a'));
    signed(doc, A, recordRetry(doc, ctx(), 'S-1'));
    signed(doc, A, recordRetry(doc, ctx(), 'S-1'));
    signed(doc, A, blockStory(doc, ctx(), 'S-1', 'waiting on infra'));
    s = readBoard(doc).stories[0]!;
    expect([s.rank, s.retries, s.blocked, s.blockedReason]).toEqual(['a', 2, true, 'waiting on infra']);
    signed(doc, A, unblockStory(doc, ctx(), 'S-1'));
    s = readBoard(doc).stories[0]!;
    expect([s.retries, s.blocked, s.blockedReason]).toEqual([0, false, null]);
    signed(doc, A, archiveStory(doc, ctx(), 'S-1', 'superseded'));
    s = readBoard(doc).stories[0]!;
    expect([s.stage, s.archiveReason]).toEqual(['archived', 'superseded']);
    signed(doc, A, moveStory(doc, ctx(), 'S-1', 'backlog'));
    s = readBoard(doc).stories[0]!;
    expect([s.stage, s.archiveReason, s.doneAt]).toEqual(['backlog', null, null]);
  });

  test('[PIPE5] a story without a rank goes to the end of its column', () => {
    const doc = board();
    for (const id of ['S-1', 'S-2', 'S-3']) signed(doc, A, createStory(doc, ctx(), { id, kind: 'story', title: id }));
    signed(doc, A, moveStory(doc, ctx(), 'S-1', 'backlog', 'A')); // explicit rank: to the front
    expect(readBoard(doc).byStage.backlog.map((s) => s.id)).toEqual(['S-1', 'S-2', 'S-3']);
    signed(doc, A, moveStory(doc, ctx(), 'S-2', 'current'));
    signed(doc, A, moveStory(doc, ctx(), 'S-1', 'current'));
    expect(readBoard(doc).byStage.current.map((s) => s.id)).toEqual(['S-2', 'S-1']);
  });

  test('[PIPE15] settings and display names', () => {
    const doc = board();
    signed(doc, A, setSetting(doc, ctx(), 'autoPromote', true));
    signed(doc, A, setDisplayName(doc, ctx(), '  Ann '));
    const v = readBoard(doc);
    expect(v.settings.autoPromote).toBe(true);
    expect(v.names[A.hex]).toBe('Ann');
  });

  test('[PIPE6] newStoryId is short and deterministic from the random bytes given', () => {
    expect(newStoryId(new Uint8Array([1, 2, 3, 4, 5]))).toMatch(/^S-[0-9a-z]{8}$/);
    expect(newStoryId(new Uint8Array([1, 2, 3, 4, 5]))).toBe(newStoryId(new Uint8Array([1, 2, 3, 4, 5, 9])));
  });

  test('[PIPE14] a purged story never comes back, even after a concurrent edit from a stale peer', () => {
    const a = board();
    signed(a, A, createStory(a, ctx(), { id: 'S-1', kind: 'story', title: 't' }));
    const b = new Document();
    sync(a, b);
    const B = keys(2);
    signed(a, A, purgeStory(a, ctx(), 'S-1'));
    signed(b, B, editStory(b, { author: B.hex, now: 2 }, 'S-1', { title: 'stale edit' }));
    signed(b, B, moveStory(b, { author: B.hex, now: 3 }, 'S-1', 'current'));
    sync(b, a); sync(a, b);
    for (const d of [a, b]) {
      const v = readBoard(d);
      expect(v.stories).toEqual([]);
      expect(v.purgedIds).toEqual(['S-1']);
    }
    expect(a.stateHash()).toBe(b.stateHash());
    expect(() => editStory(a, ctx(), 'S-1', { title: 'x' })).toThrow(CommandError);
  });
});

describe('validateOpForBoard', () => {
  /** Prepares (without committing) an op with these actions on a copy-free path: prepare then abandon. */
  function probe(doc: Document, actions: Parameters<Document['prepare']>[1]): string | undefined {
    const p = doc.prepare(A.hex, actions);
    doc.abandon(p);
    const op = { ...p.header, id: p.id, sig: new Uint8Array(64), bytes: new Uint8Array(0),
      actions: p.actions.map((a) => {
        const r = (x: unknown) => (typeof x === 'string' ? x : `${p.id}:${(x as { self: number }).self}`);
        return a.type === 'set' ? { ...a, obj: r(a.obj) } : a.type === 'ins' ? { ...a, obj: r(a.obj), after: r(a.after) } : { ...a, obj: r(a.obj), elem: r(a.elem) };
      }) } as unknown as Op;
    return validateOpForBoard(doc, op);
  }

  test('[PIPE11] commands produce ops that pass; schema violations are rejected with a reason', () => {
    const doc = board();
    const create = createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't', criteria: ['a'], dependsOn: ['S-0'] });
    expect(probe(doc, create)).toBeUndefined();
    signed(doc, A, create);
    const s = readBoard(doc).stories[0]!;
    const set = (key: string, value: unknown) => probe(doc, [{ type: 'set', obj: s.elem, key, value: value as never }]);
    expect(set('stage', 'qa')).toBeUndefined();
    expect(set('stage', 'banana')).toMatch(/stage/);
    expect(set('kind', 7)).toMatch(/kind/);
    expect(set('title', 'x'.repeat(501))).toMatch(/title/);
    // The core caps strings at 32 KiB too, so an oversized description never encodes; the schema check still holds.
    expect(checkSet('story', 'description', 'x'.repeat(32 * 1024 + 1))).toMatch(/32 KiB/);
    expect(checkSet('story', 'description', 'x'.repeat(32 * 1024))).toBeUndefined();
    expect(set('retries', -1)).toMatch(/retries/);
    expect(set('retries', 1.5)).toMatch(/retries/);
    expect(set('rank', 'a0')).toMatch(/rank/);
    expect(set('archiveReason', 'bored')).toMatch(/archiveReason/);
    expect(set('extra', { make: 'map' })).toMatch(/container/);
    expect(probe(doc, [{ type: 'set', obj: ROOT, key: 'junk', value: 1 }])).toMatch(/root/);
    expect(probe(doc, [{ type: 'set', obj: ROOT, key: 'stories', value: 'gone' }])).toMatch(/stories/);
    const crit = s.criteria[0]!.elem;
    expect(probe(doc, [{ type: 'set', obj: crit, key: 'done', value: 'yes' }])).toMatch(/done/);
    expect(probe(doc, [{ type: 'set', obj: crit, key: 'text', value: 'ok' }])).toBeUndefined();
    expect(probe(doc, [{ type: 'ins', obj: s.list, after: 'head', value: 'not a map' }])).toMatch(/new maps/);
  });

  test('[PIPE12] a new story must get a valid id in its creating op, and ids never change', () => {
    const doc = board();
    signed(doc, A, createStory(doc, ctx(), { id: 'S-1', kind: 'story', title: 't' }));
    const s = readBoard(doc).stories[0]!;
    expect(probe(doc, [{ type: 'set', obj: s.elem, key: 'id', value: 'S-2' }])).toMatch(/cannot change/);
    expect(probe(doc, [{ type: 'ins', obj: s.list, after: 'head', value: { make: 'map' } }])).toMatch(/its id/);
    expect(probe(doc, [
      { type: 'ins', obj: s.list, after: 'head', value: { make: 'map' } },
      { type: 'set', obj: { self: 0 }, key: 'id', value: '__proto__' },
    ])).toMatch(/id/);
  });
});
