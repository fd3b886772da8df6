// Finding stories in the document for commands (PIPE6): by story id across
// every stories list (PIPE3), with the same duplicate rule as the view —
// the live element whose id sorts first wins (PIPE9).
import { ROOT, type DocState, type ObjId } from '../core/index.js';
import { fieldContainer, rootContainers, type Stage } from './layout.js';
import { isRank } from './rank.js';
import { isStoryId, STORY_FIELDS } from './schema.js';
import { readStory, type RawStory, type StoryFields } from './story-read.js';
import { CommandError } from './errors.js';

export interface FoundStory extends RawStory {
  readonly fields: StoryFields;
}

/**
 * A faster way to answer the two questions commands ask, kept up to date by
 * whoever folds applied ops into a view (the BoardIndex). Without one,
 * commands scan the stories lists — O(stories) per command.
 */
export interface StoryLookup {
  /** Whether it has folded in every op applied so far (a stale lookup is ignored). */
  current(): boolean;
  /** The winning live element of a story id (PIPE9), or undefined. */
  winner(storyId: string): { list: ObjId; elem: ObjId } | undefined;
  /** The greatest rank in a column, ignoring one element. */
  lastRank(stage: Stage, except?: ObjId): string | undefined;
}

const lookups = new WeakMap<DocState, StoryLookup>();

/** Registers the lookup that answers for this document state. */
export function useStoryLookup(state: DocState, lookup: StoryLookup): void {
  lookups.set(state, lookup);
}

/** The live story with this id, or undefined. */
export function findStory(state: DocState, storyId: string): FoundStory | undefined {
  const fast = lookups.get(state);
  if (fast?.current()) {
    const w = fast.winner(storyId);
    if (w === undefined) return undefined;
    const raw = readStory(state, w.list, w.elem, false);
    return raw.fields === undefined ? undefined : (raw as FoundStory);
  }
  let best: { list: ObjId; elem: ObjId } | undefined;
  for (const list of rootContainers(state).lists) {
    const c = state.containers.get(list)!;
    if (c.kind !== 'list') continue;
    for (const el of c.list.visible()) {
      const m = state.peek(el.id);
      if (m === undefined || m.kind !== 'map' || m.map.get('id')?.value !== storyId) continue;
      if (best === undefined || el.id < best.elem) best = { list, elem: el.id };
    }
  }
  if (best === undefined) return undefined;
  const raw = readStory(state, best.list, best.elem, false);
  return raw.fields === undefined ? undefined : (raw as FoundStory);
}

/** Like findStory, but a missing story is a CommandError. */
export function requireStory(state: DocState, storyId: string): FoundStory {
  if (!isStoryId(storyId)) throw new CommandError('invalid', `not a story id: ${String(storyId)}`);
  const s = findStory(state, storyId);
  if (s === undefined) throw new CommandError('unknown-story', `no story ${storyId}`);
  return s;
}

/** The winning `root.stories` list, where new stories go. */
export function requireStoriesList(state: DocState): ObjId {
  const id = fieldContainer(state, ROOT, 'stories');
  if (id === undefined || state.containers.get(id)?.kind !== 'list') throw new CommandError('not-initialised', 'the board is not initialised');
  return id;
}

/** The greatest valid rank in a column (ignoring `except`), for appending. */
export function lastRank(state: DocState, stage: Stage, except?: ObjId): string | undefined {
  const fast = lookups.get(state);
  if (fast?.current()) return fast.lastRank(stage, except);
  let max: string | undefined;
  for (const list of rootContainers(state).lists) {
    const c = state.containers.get(list)!;
    if (c.kind !== 'list') continue;
    for (const el of c.list.visible()) {
      if (el.id === except) continue;
      const m = state.peek(el.id);
      if (m === undefined || m.kind !== 'map') continue;
      const st = m.map.get('stage')?.value ?? 'backlog';
      if (st !== stage) continue;
      const r = m.map.get('rank')?.value;
      if (isRank(r) && STORY_FIELDS.rank!(r) === undefined && (max === undefined || r > max)) max = r;
    }
  }
  return max;
}
