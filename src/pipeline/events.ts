// Transition events (PIPE19): what changed on the board between two views,
// whether the ops were local or remote. One diff per story, shared by the
// full `diffBoards` and the incremental `BoardIndex`, so both emit the same
// events for the same change.
import type { ArchiveReason, Stage } from './layout.js';
import type { BoardView, DepStatus, StoryView } from './view.js';

export interface Cause {
  /** Author (hex key) of the op that caused the change. */
  readonly author: string;
  /** When it was applied, ms (the caller's clock). */
  readonly at: number;
}

/**
 * Most recent transition events a reader keeps: the activity feed (UI10).
 * The worker sends a page no more than this many of one batch's events.
 */
export const FEED_LIMIT = 200;

interface Base { readonly storyId: string; readonly author: string; readonly at: number }

export type BoardEvent = Base & (
  | { readonly type: 'created'; readonly stage: Stage }
  | { readonly type: 'edited'; readonly fields: readonly string[] }
  | { readonly type: 'stage-changed'; readonly from: Stage; readonly to: Stage }
  | { readonly type: 'blocked'; readonly reason: string | null }
  | { readonly type: 'unblocked' }
  | { readonly type: 'archived'; readonly reason: ArchiveReason | null }
  | { readonly type: 'purged' }
  | { readonly type: 'dependency-status-changed'; readonly dep: string; readonly from: DepStatus; readonly to: DepStatus }
);

/** Fields reported by `edited` (stage, blocking and archiving have their own events). */
export const EDIT_FIELDS = ['title', 'kind', 'description', 'assignee', 'criteria', 'dependsOn', 'rank', 'retries', 'blockedReason'] as const;

function sameList<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i]!, b[i]!)) return false;
  return true;
}

function fieldChanged(f: (typeof EDIT_FIELDS)[number], a: StoryView, b: StoryView): boolean {
  if (f === 'criteria') return !sameList(a.criteria, b.criteria, (x, y) => x.elem === y.elem && x.text === y.text && x.done === y.done);
  if (f === 'dependsOn') return !sameList(a.dependsOn, b.dependsOn, (x, y) => x === y);
  if (f === 'blockedReason') return a.blocked === b.blocked && a.blockedReason !== b.blockedReason;
  return a[f] !== b[f];
}

/** Events for one story id between its view before and after (undefined = not live). */
export function diffStory(
  before: StoryView | undefined, after: StoryView | undefined, purgedAfter: boolean, cause: Cause, out: BoardEvent[],
): void {
  if (before === after) return;
  // Runs for every story a batch touches (a catch-up: every story): plain
  // object literals, no spreads or closures.
  const storyId = (after ?? before)!.id;
  const { author, at } = cause;
  if (before === undefined) { out.push({ storyId, author, at, type: 'created', stage: after!.stage }); return; }
  if (after === undefined) { if (purgedAfter) out.push({ storyId, author, at, type: 'purged' }); return; }
  if (before.stage !== after.stage) out.push({ storyId, author, at, type: 'stage-changed', from: before.stage, to: after.stage });
  if (after.stage === 'archived' && (before.stage !== 'archived' || before.archiveReason !== after.archiveReason)) {
    out.push({ storyId, author, at, type: 'archived', reason: after.archiveReason });
  }
  if (!before.blocked && after.blocked) out.push({ storyId, author, at, type: 'blocked', reason: after.blockedReason });
  if (before.blocked && !after.blocked) out.push({ storyId, author, at, type: 'unblocked' });
  let fields: string[] | undefined;
  for (const f of EDIT_FIELDS) if (fieldChanged(f, before, after)) (fields ??= []).push(f);
  if (fields !== undefined) out.push({ storyId, author, at, type: 'edited', fields });
  // A status event needs the dependency on both sides.
  if (before.deps !== after.deps && before.deps.length > 0 && after.deps.length > 0) {
    const old = new Map(before.deps.map((d) => [d.id, d.status]));
    for (const d of after.deps) {
      const from = old.get(d.id);
      if (from !== undefined && from !== d.status) out.push({ storyId, author, at, type: 'dependency-status-changed', dep: d.id, from, to: d.status });
    }
  }
}

/** All events between two full views (O(stories)); see BoardIndex for the incremental path. */
export function diffBoards(before: BoardView, after: BoardView, cause: Cause): BoardEvent[] {
  const a = new Map(before.stories.map((s) => [s.id, s]));
  const b = new Map(after.stories.map((s) => [s.id, s]));
  const purged = new Set(after.purgedIds);
  const out: BoardEvent[] = [];
  for (const [id, s] of a) diffStory(s, b.get(id), purged.has(id), cause, out);
  for (const [id, s] of b) if (!a.has(id)) diffStory(undefined, s, false, cause, out);
  return out;
}
