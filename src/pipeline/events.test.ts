import { describe, expect, test } from 'vitest';
import { Document, HEAD, ROOT, type LocalAction } from '../core/index.js';
import {
  archiveStory, blockStory, createStory, editStory, initBoard, moveStory, purgeStory, recordRetry, setDisplayName, setSetting, unblockStory,
} from './commands.js';
import { BoardIndex, readBoard } from './board.js';
import { diffBoards, type BoardEvent } from './events.js';
import { rankBetween } from './rank.js';
import { fieldContainer } from './layout.js';
import { keys, signed, unsigned } from './test-support.js';

const A = keys(1);
const B = keys(2);
const ctxA = { author: A.hex, now: 1 };
const strip = (es: BoardEvent[]) => es.map(({ at: _at, ...e }) => e);

describe('events', () => {
  test('[PIPE19] local ops: created, edited, stage-changed, blocked, unblocked, archived, purged, dependency-status-changed', () => {
    const doc = new Document();
    const index = new BoardIndex(doc);
    const run = (actions: LocalAction[], at = 5) => index.update([signed(doc, A, actions)], at);
    expect(run(initBoard(doc, ctxA))).toEqual([]);
    expect(run(createStory(doc, ctxA, { id: 'D', kind: 'story', title: 'dep' }))).toEqual([
      { type: 'created', storyId: 'D', stage: 'backlog', author: A.hex, at: 5 },
    ]);
    run(createStory(doc, ctxA, { id: 'S', kind: 'story', title: 's', dependsOn: ['D'] }));
    expect(strip(run(moveStory(doc, ctxA, 'D', 'done')))).toEqual([
      { type: 'stage-changed', storyId: 'D', from: 'backlog', to: 'done', author: A.hex },
      { type: 'dependency-status-changed', storyId: 'S', dep: 'D', from: 'waiting', to: 'met', author: A.hex },
    ]);
    expect(strip(run(editStory(doc, ctxA, 'S', { title: 'S!', criteria: [{ op: 'add', text: 'c' }] })))).toEqual([
      { type: 'edited', storyId: 'S', fields: ['title', 'criteria'], author: A.hex },
    ]);
    expect(run(blockStory(doc, ctxA, 'S', 'why')).map((e) => e.type)).toEqual(['blocked']);
    expect(run(unblockStory(doc, ctxA, 'S')).map((e) => e.type)).toEqual(['unblocked']);
    expect(strip(run(archiveStory(doc, ctxA, 'D', 'abandoned')))).toEqual([
      { type: 'stage-changed', storyId: 'D', from: 'done', to: 'archived', author: A.hex },
      { type: 'archived', storyId: 'D', reason: 'abandoned', author: A.hex },
      { type: 'dependency-status-changed', storyId: 'S', dep: 'D', from: 'met', to: 'archived-not-completed', author: A.hex },
    ]);
    expect(strip(run(purgeStory(doc, ctxA, 'D')))).toEqual([
      { type: 'purged', storyId: 'D', author: A.hex },
      { type: 'dependency-status-changed', storyId: 'S', dep: 'D', from: 'archived-not-completed', to: 'purged', author: A.hex },
    ]);
    expect(index.view).toEqual(readBoard(doc));
  });

  test('[PIPE19] remote ops through doc.ingest give the same events, with the remote author', () => {
    const a = new Document();
    const b = new Document();
    const ib = new BoardIndex(b);
    const ctxB = { author: B.hex, now: 1 };
    signed(a, B, initBoard(a, ctxB));
    signed(a, B, createStory(a, ctxB, { id: 'S', kind: 'story', title: 's' }));
    const before = readBoard(b);
    const res = b.ingest(a.ops().map((o) => o.bytes));
    const events = ib.update(res.applied, 9);
    expect(events).toEqual([{ type: 'created', storyId: 'S', stage: 'backlog', author: B.hex, at: 9 }]);
    expect(diffBoards(before, readBoard(b), { author: B.hex, at: 9 })).toEqual(events);
    signed(a, B, recordRetry(a, ctxB, 'S'));
    const more = ib.update(b.ingest([a.ops().at(-1)!.bytes]).applied, 10);
    expect(more).toEqual([{ type: 'edited', storyId: 'S', fields: ['retries'], author: B.hex, at: 10 }]);
  });

  test('[PIPE20] the incremental index matches a full read after every step of a seeded random run', () => {
    let seed = 42;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const doc = new Document();
    unsigned(doc, A.hex, initBoard(doc, ctxA));
    const index = new BoardIndex(doc);
    const ids = Array.from({ length: 12 }, (_, i) => `S-${i}`);
    const stages = ['backlog', 'current', 'qa', 'merge', 'done'] as const;
    // The run must form and break dependency cycles (the index finds them from the changed stories only).
    let cycleSteps = 0, cyclesBroken = 0, lastCyclic = 0;
    for (let step = 0; step < 300; step++) {
      const id = ids[rnd(ids.length)]!;
      const ctx = { author: A.hex, now: step };
      const before = index.view;
      let actions: LocalAction[] = [];
      try {
        switch (rnd(7)) {
          case 0: actions = createStory(doc, ctx, { id, kind: 'story', title: id, dependsOn: [ids[rnd(12)]!, ids[rnd(12)]!].filter((d) => d !== id) }); break;
          case 1: actions = moveStory(doc, ctx, id, stages[rnd(5)]!); break;
          case 2: actions = editStory(doc, ctx, id, { dependsOn: [ids[rnd(12)]!].filter((d) => d !== id) }); break;
          case 3: actions = archiveStory(doc, ctx, id, rnd(2) ? 'completed' : 'superseded'); break;
          case 4: actions = rnd(3) === 0 ? purgeStory(doc, ctx, id) : blockStory(doc, ctx, id, 'x'); break;
          case 5: actions = editStory(doc, ctx, id, { title: `t${step}` }); break;
          default: actions = recordRetry(doc, ctx, id);
        }
      } catch { continue; }
      if (actions.length === 0) continue;
      const events = index.update([unsigned(doc, A.hex, actions)], step);
      const full = readBoard(doc);
      expect(index.view, `seed 42 step ${step}`).toEqual(full);
      const cyclic = full.stories.filter((st) => st.deps.some((d) => d.status === 'cycle')).length;
      if (cyclic > 0) cycleSteps++;
      if (cyclic < lastCyclic) cyclesBroken++;
      lastCyclic = cyclic;
      const sortE = (es: BoardEvent[]) => es.map((e) => JSON.stringify(e)).sort();
      expect(sortE(events)).toEqual(sortE(diffBoards(before, full, { author: A.hex, at: step })));
    }
    expect(cycleSteps).toBeGreaterThan(10);
    expect(cyclesBroken).toBeGreaterThan(0);
  });

  test('[PIPE20] big batches (catch-up: many stories per update) still match a full read', () => {
    let seed = 7;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    const doc = new Document();
    unsigned(doc, A.hex, initBoard(doc, ctxA));
    const index = new BoardIndex(doc);
    const ids = Array.from({ length: 150 }, (_, i) => `S-${i}`);
    const stages = ['backlog', 'current', 'qa', 'merge', 'done'] as const;
    const ranks = [...'123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'];
    let step = 0;
    const fold = (batch: ReturnType<typeof unsigned>[], label: string) => {
      expect(batch.length).toBeGreaterThan(32);
      index.update(batch, step);
      expect(index.view, `seed 7 ${label}`).toEqual(readBoard(doc));
    };
    for (let round = 0; round < 3; round++) {
      fold(ids.slice(round * 50, round * 50 + 50).map((id) => unsigned(doc, A.hex,
        createStory(doc, { author: A.hex, now: step++ }, { id, kind: 'story', title: id, stage: stages[rnd(5)]!, rank: ranks[rnd(ranks.length)]! }))), `create ${round}`);
    }
    for (let round = 0; round < 10; round++) {
      const batch = [];
      for (let n = 40 + rnd(80); n > 0; n--, step++) {
        const id = ids[rnd(ids.length)]!;
        const ctx = { author: A.hex, now: step };
        let actions: LocalAction[] = [];
        try {
          switch (rnd(4)) {
            case 0: actions = moveStory(doc, ctx, id, stages[rnd(5)]!, ranks[rnd(ranks.length)]!); break;
            case 1: actions = editStory(doc, ctx, id, { title: `t${step}` }); break;
            case 2: actions = rnd(8) === 0 ? purgeStory(doc, ctx, id) : moveStory(doc, ctx, id, stages[rnd(5)]!); break;
            default: actions = recordRetry(doc, ctx, id);
          }
        } catch { continue; }
        if (actions.length > 0) batch.push(unsigned(doc, A.hex, actions));
      }
      if (round % 2 === 1) {
        // A bulk batch leaves its columns to sort on the next read; single moves folded before that read still land in order.
        index.update(batch, step);
        for (let k = 0; k < 3; k++, step++) {
          index.update([unsigned(doc, A.hex, moveStory(doc, { author: A.hex, now: step }, ids[rnd(50)]!, stages[rnd(5)]!, ranks[rnd(ranks.length)]!))], step);
        }
        const full = readBoard(doc);
        expect(index.lastRank('backlog'), `seed 7 round ${round}: last rank`).toBe(full.byStage.backlog.at(-1)?.rank);
        expect(index.view, `seed 7 round ${round} and single moves`).toEqual(full);
      } else fold(batch, `round ${round}`);
    }
  });

  test('[PIPE20] one batch that creates stories, edits their new criteria and builds containers outside any story matches a full read', () => {
    const doc = new Document();
    unsigned(doc, A.hex, initBoard(doc, ctxA));
    const index = new BoardIndex(doc);
    const stories = fieldContainer(doc.state, ROOT, 'stories')!;
    const batch = [];
    for (let i = 0; i < 40; i++) {
      const ctx = { author: A.hex, now: i };
      batch.push(unsigned(doc, A.hex, createStory(doc, ctx, { id: `S-${i}`, kind: 'bug', title: `s${i}`, criteria: ['a', 'b'], dependsOn: i > 0 ? [`S-${i - 1}`] : [] })));
      if (i % 3 === 0) batch.push(unsigned(doc, A.hex, editStory(doc, ctx, `S-${i}`, { criteria: [{ op: 'add', text: 'c' }] })));
      if (i % 5 === 0) {
        // A list in the stories list (not a story) holding a map with a story-like id, and a map under it.
        batch.push(unsigned(doc, A.hex, [
          { type: 'ins', obj: stories, after: HEAD, value: { make: 'list' } },
          { type: 'ins', obj: { self: 0 }, after: HEAD, value: { make: 'map' } },
          { type: 'set', obj: { self: 1 }, key: 'id', value: `S-${i}` },
          { type: 'set', obj: { self: 1 }, key: 'inner', value: { make: 'map' } },
        ]));
      }
    }
    index.update(batch, 1);
    expect(index.view).toEqual(readBoard(doc));
    expect(index.view.stories.find((s) => s.id === 'S-3')!.criteria.map((c) => c.text)).toEqual(['a', 'b', 'c']);
  });

  test('[PIPE20a] meta() stays the same object through story edits and changes with settings, names, purges and duplicates', () => {
    const a = new Document();
    const index = new BoardIndex(a);
    const run = (d: Document, k: typeof A, actions: LocalAction[]) => index.update([signed(d, k, actions)], 5);
    run(a, A, initBoard(a, ctxA));
    const b = new Document();
    b.ingest(a.ops().map((o) => o.bytes));
    run(a, A, createStory(a, ctxA, { id: 'S-1', kind: 'story', title: 'one' }));
    const m0 = index.meta();
    run(a, A, editStory(a, ctxA, 'S-1', { title: 'one!' }));
    run(a, A, moveStory(a, ctxA, 'S-1', 'qa'));
    run(a, A, createStory(a, ctxA, { id: 'S-2', kind: 'bug', title: 'two' }));
    expect(index.meta()).toBe(m0);
    run(a, A, purgeStory(a, ctxA, 'S-2'));
    const m1 = index.meta();
    expect(m1).not.toBe(m0);
    expect(m1.purgedIds).toEqual(['S-2']);
    run(a, A, setSetting(a, ctxA, 'retryLimit', 5));
    expect(index.meta()).not.toBe(m1);
    expect(index.meta().settings.retryLimit).toBe(5);
    const m2a = index.meta();
    run(a, A, setDisplayName(a, ctxA, 'Ada'));
    expect(index.meta()).not.toBe(m2a);
    expect(index.meta().names[A.hex]).toBe('Ada');
    // A concurrent creation of one id by another replica: the duplicate is reported.
    signed(b, B, createStory(b, { author: B.hex, now: 1 }, { id: 'S-1', kind: 'bug', title: 'from B' }));
    const m2 = index.meta();
    index.update(a.ingest([b.ops().at(-1)!.bytes]).applied, 6);
    expect(index.meta()).not.toBe(m2);
    const { stories: _s, byStage: _b, ...full } = readBoard(a);
    expect(index.meta()).toEqual(full);
    expect(index.meta().issues.join()).toMatch(/duplicate story id S-1/);
  });

  test('[PIPE20] 10,000 stories: one field update yields its events incrementally (figure reported)', () => {
    const doc = new Document();
    unsigned(doc, A.hex, initBoard(doc, ctxA));
    const list = [...doc.state.containers.values()].find((c) => c.kind === 'list')!.id;
    let rank: string | undefined;
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      rank = rankBetween(rank, undefined);
      const s = { self: 0 };
      const fields: [string, string | number | boolean | null][] = [
        ['id', `S-${i}`], ['kind', 'story'], ['title', `story ${i}`], ['stage', ['backlog', 'current', 'qa', 'done'][i % 4]!],
        ['rank', rank], ['retries', 0], ['blocked', false], ['createdBy', A.hex], ['createdAt', i],
      ];
      const actions: LocalAction[] = [{ type: 'ins', obj: list, after: HEAD, value: { make: 'map' } }];
      for (const [k, v] of fields) actions.push({ type: 'set', obj: s, key: k, value: v });
      actions.push({ type: 'set', obj: s, key: 'dependsOn', value: { make: 'map' } });
      if (i > 0) actions.push({ type: 'set', obj: { self: actions.length - 1 }, key: `S-${i - 1}`, value: true });
      unsigned(doc, A.hex, actions);
    }
    const tBuild = performance.now();
    const index = new BoardIndex(doc);
    const tIndex = performance.now();
    const times: number[] = [];
    for (let k = 0; k < 200; k++) {
      const elem = index.story(`S-${(k * 37) % 10_000}`)!.elem;
      const op = unsigned(doc, A.hex, [{ type: 'set', obj: elem, key: 'title', value: `edit ${k}` }]);
      const t = performance.now();
      const events = index.update([op], k);
      times.push(performance.now() - t);
      expect(events.map((e) => e.type)).toEqual(['edited']);
    }
    // A stage change fans out to the dependent story.
    const dElem = index.story('S-100')!.elem;
    const op = unsigned(doc, A.hex, [{ type: 'set', obj: dElem, key: 'stage', value: 'done' }]);
    const t = performance.now();
    const events = index.update([op], 1);
    const stageMs = performance.now() - t;
    expect(events.map((e) => e.type)).toEqual(['stage-changed', 'dependency-status-changed']);
    times.sort((x, y) => x - y);
    console.log(`[PIPE20] 10k stories: ops built in ${(tBuild - t0).toFixed(0)} ms, index in ${(tIndex - tBuild).toFixed(0)} ms; ` +
      `one title update → events: median ${times[100]!.toFixed(3)} ms, p95 ${times[190]!.toFixed(3)} ms; stage change with a dependent ${stageMs.toFixed(3)} ms`);
  });
});
