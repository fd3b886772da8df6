// The board workload shared by every benchmark (issue 6): stories with ~10
// fields and 3 acceptance criteria, then field updates (stage moves, renames,
// criteria ticks) spread over them, then purges. Deterministic (seeded).
import { HEAD, ROOT, type LocalAction } from '../src/core/index.js';

export const STAGES = ['backlog', 'current', 'qa', 'merge', 'done'] as const;

export interface WorkloadSize { stories: number; updates: number; purges: number }
export const FULL: WorkloadSize = { stories: 10_000, updates: 50_000, purges: 1_000 };
export const QUICK: WorkloadSize = { stories: 800, updates: 4_000, purges: 80 };

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Plain data of one story, as every engine stores it. */
export function storyData(i: number): Record<string, string | number | boolean | null> {
  return {
    id: `S-${i.toString(36).padStart(6, '0')}`,
    kind: ['story', 'bug', 'spike', 'refactor'][i % 4]!,
    title: `Story number ${i}: make the board faster`,
    description: `As a user I want item ${i} to work, so that the pipeline moves.`,
    stage: 'backlog',
    assignee: `agent-${i % 7}`,
    blocked: false,
    retries: 0,
    rank: `a${i.toString(36).padStart(5, '0')}`,
    createdAt: 1_700_000_000_000 + i,
  };
}

export const CRITERIA = ['it builds', 'it is tested', 'it is documented'];

/** One update to apply: which story, and what. */
export type Update =
  | { kind: 'stage'; story: number; stage: string }
  | { kind: 'title'; story: number; title: string }
  | { kind: 'tick'; story: number; criterion: number; done: boolean };

/** The deterministic list of updates. */
export function updates(size: WorkloadSize, seed = 1): Update[] {
  const r = rng(seed);
  const out: Update[] = [];
  for (let i = 0; i < size.updates; i++) {
    const story = Math.floor(r() * size.stories);
    const k = r();
    if (k < 0.4) out.push({ kind: 'stage', story, stage: STAGES[Math.floor(r() * STAGES.length)]! });
    else if (k < 0.7) out.push({ kind: 'title', story, title: `Renamed ${i}` });
    else out.push({ kind: 'tick', story, criterion: Math.floor(r() * 3), done: r() < 0.5 });
  }
  return out;
}

/** Which stories get purged (distinct, deterministic). */
export function purges(size: WorkloadSize, seed = 2): number[] {
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < size.purges) set.add(Math.floor(r() * size.stories));
  return [...set];
}

/** huskies actions creating one story in one op (the stories list must exist). */
export function huskiesCreateStory(storiesList: string, i: number): LocalAction[] {
  const actions: LocalAction[] = [{ type: 'ins', obj: storiesList, after: HEAD, value: { make: 'map' } }];
  for (const [k, v] of Object.entries(storyData(i))) actions.push({ type: 'set', obj: { self: 0 }, key: k, value: v });
  const crit = actions.length;
  actions.push({ type: 'set', obj: { self: 0 }, key: 'criteria', value: { make: 'list' } });
  let after: string | { self: number } = HEAD;
  for (const text of CRITERIA) {
    const at = actions.length;
    actions.push({ type: 'ins', obj: { self: crit }, after, value: { make: 'map' } });
    actions.push({ type: 'set', obj: { self: at }, key: 'text', value: text });
    actions.push({ type: 'set', obj: { self: at }, key: 'done', value: false });
    after = { self: at };
  }
  return actions;
}

/** huskies action creating the root stories list. */
export const huskiesInit: LocalAction[] = [{ type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } }];

/** Number of concurrent authors (replicas) in the board workload. */
export const AUTHORS = 3;

/** One author's share: the stories it creates, then its updates and purges (all on its own stories). */
export interface Share {
  readonly stories: number[];
  readonly updates: Update[];
  readonly purges: number[];
}

/**
 * Splits the workload deterministically: story i belongs to author i % 3, and
 * every update or purge goes to the author of its story, so each replica only
 * edits what it created before the merge. Edits = stories + updates + purges.
 */
export function shares(size: WorkloadSize): Share[] {
  const out: { stories: number[]; updates: Update[]; purges: number[] }[] =
    Array.from({ length: AUTHORS }, () => ({ stories: [], updates: [], purges: [] }));
  for (let i = 0; i < size.stories; i++) out[i % AUTHORS]!.stories.push(i);
  for (const u of updates(size)) out[u.story % AUTHORS]!.updates.push(u);
  for (const s of purges(size)) out[s % AUTHORS]!.purges.push(s);
  return out;
}

/** The logical edits of a workload: creates + updates + purges (the unit of every engine's rate). */
export function editCount(size: WorkloadSize): number {
  return size.stories + size.updates + size.purges;
}

/**
 * Tracks list positions for engines that address list items by index
 * (Yjs, Automerge, Loro): stories are inserted at the front, as huskies does (HEAD).
 */
export class PositionMirror {
  private order: number[] = [];
  /** Records an insert at the front. */
  prepend(story: number): void { this.order.unshift(story); }
  /** The index of a story, or -1. */
  indexOf(story: number): number { return this.order.indexOf(story); }
  /** Removes a story; returns the index it had. */
  remove(story: number): number {
    const i = this.order.indexOf(story);
    if (i >= 0) this.order.splice(i, 1);
    return i;
  }
}
