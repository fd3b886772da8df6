// Random board edits for the simulation: given what one replica knows (its
// own `doc.state.containers`), build the actions of one local op — create a
// story with fields and nested criteria, set fields, add/tick/delete
// criteria, purge a story, or edit a story another replica already purged.
// Candidates are always taken from sorted ids, so a seed picks the same edit
// on every run (SIM1).
import {
  HEAD, ROOT, actionObjId, isContainerValue,
  type Document, type ListContainer, type LocalAction, type ObjId,
} from '../../src/core/index.js';
import type { Prng } from '../support/prng.js';

export const STAGES = ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] as const;

/** The container a map field currently holds, if its winning value is a container. */
export function fieldContainer(doc: Document, map: ObjId, key: string): ObjId | undefined {
  const c = doc.state.containers.get(map);
  if (!c || c.kind !== 'map') return undefined;
  const reg = c.map.get(key);
  if (!reg || !isContainerValue(reg.value)) return undefined;
  return actionObjId(reg.stamp.op, reg.stamp.index);
}

/** The `stories` list of the board, once some replica created it. */
export function storiesList(doc: Document): ListContainer | undefined {
  const id = fieldContainer(doc, ROOT, 'stories');
  const c = id === undefined ? undefined : doc.state.containers.get(id);
  return c?.kind === 'list' ? c : undefined;
}

interface Elem { readonly list: ObjId; readonly id: ObjId; readonly deleted: boolean }

/** Elements of a list that hold maps, in list order (tombstones included). */
function mapElems(doc: Document, list: ListContainer): Elem[] {
  const out: Elem[] = [];
  for (const el of list.list.all()) {
    if (doc.state.containers.get(el.id)?.kind === 'map') out.push({ list: list.id, id: el.id, deleted: el.deleted });
  }
  return out;
}

/** Every criterion element of every story (live stories and purged ones). */
function criteria(doc: Document, stories: readonly Elem[]): Elem[] {
  const out: Elem[] = [];
  for (const s of stories) {
    const id = fieldContainer(doc, s.id, 'criteria');
    const c = id === undefined ? undefined : doc.state.containers.get(id);
    if (c?.kind === 'list') out.push(...mapElems(doc, c));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function sortById<T extends { id: ObjId }>(xs: T[]): T[] {
  return xs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function randomField(rng: Prng, story: ObjId): LocalAction {
  switch (rng.int(4)) {
    case 0: return { type: 'set', obj: story, key: 'title', value: `title ${rng.int(1000)}` };
    case 1: return { type: 'set', obj: story, key: 'stage', value: rng.pick(STAGES) };
    case 2: return { type: 'set', obj: story, key: 'rank', value: rng.int(100) / 4 };
    default: return { type: 'set', obj: story, key: 'blocked', value: rng.chance(0.5) };
  }
}

/** Where to insert in a list: the head, a live element or a tombstone (all valid RGA references). */
function insertPoint(rng: Prng, list: ListContainer): ObjId {
  const all = [...list.list.all()].map((e) => e.id).sort();
  return all.length === 0 || rng.chance(0.3) ? HEAD : rng.pick(all);
}

/** The actions that create a story (one op: one hash, one signature). */
function createStory(rng: Prng, list: ListContainer, tag: string): LocalAction[] {
  const actions: LocalAction[] = [
    { type: 'ins', obj: list.id, after: insertPoint(rng, list), value: { make: 'map' } },
    { type: 'set', obj: { self: 0 }, key: 'title', value: `story ${tag}` },
    { type: 'set', obj: { self: 0 }, key: 'stage', value: 'backlog' },
    { type: 'set', obj: { self: 0 }, key: 'rank', value: rng.int(100) },
    { type: 'set', obj: { self: 0 }, key: 'criteria', value: { make: 'list' } },
  ];
  let after: LocalAction['obj'] = HEAD;
  for (let i = rng.int(3); i > 0; i--) {
    const at = actions.length;
    actions.push({ type: 'ins', obj: { self: 4 }, after, value: { make: 'map' } });
    actions.push({ type: 'set', obj: { self: at }, key: 'text', value: `criterion ${rng.int(100)}` });
    actions.push({ type: 'set', obj: { self: at }, key: 'done', value: false });
    after = { self: at };
  }
  return actions;
}

/**
 * The actions of one random local edit on `doc`, or undefined when the board
 * does not exist yet. `tag` makes titles readable in failure dumps.
 */
export function randomBoardEdit(doc: Document, rng: Prng, tag: string): LocalAction[] | undefined {
  const list = storiesList(doc);
  if (!list) return undefined;
  const stories = sortById(mapElems(doc, list));
  const live = stories.filter((s) => !s.deleted);
  const purged = stories.filter((s) => s.deleted);
  const crit = criteria(doc, stories);
  const liveCrit = crit.filter((c) => !c.deleted);
  const roll = rng.int(100);
  if (live.length === 0 || roll < 25) return createStory(rng, list, tag);
  if (roll < 50) {
    const s = rng.pick(live).id;
    const actions = [randomField(rng, s)];
    if (rng.chance(0.3)) actions.push(randomField(rng, s));
    return actions;
  }
  if (roll < 60) {
    const s = rng.pick(stories).id;
    const cl = fieldContainer(doc, s, 'criteria');
    const c = cl === undefined ? undefined : doc.state.containers.get(cl);
    if (c?.kind !== 'list') return [{ type: 'set', obj: s, key: 'criteria', value: { make: 'list' } }];
    return [
      { type: 'ins', obj: c.id, after: insertPoint(rng, c), value: { make: 'map' } },
      { type: 'set', obj: { self: 0 }, key: 'text', value: `criterion ${rng.int(100)}` },
      { type: 'set', obj: { self: 0 }, key: 'done', value: false },
    ];
  }
  if (roll < 68 && crit.length > 0) {
    return [{ type: 'set', obj: rng.pick(crit).id, key: 'done', value: rng.chance(0.7) }];
  }
  if (roll < 75 && crit.length > 0) {
    // Deleting a tombstone again is valid and idempotent: a concurrent double delete.
    const c = rng.chance(0.8) && liveCrit.length > 0 ? rng.pick(liveCrit) : rng.pick(crit);
    return [{ type: 'del', obj: c.list, elem: c.id }];
  }
  if (roll < 83) {
    const s = rng.pick(live);
    return [{ type: 'del', obj: s.list, elem: s.id }];
  }
  if (roll < 93 && purged.length > 0) {
    // Edit a purged story: it applies but must never resurrect it (CORE10).
    const s = rng.pick(purged).id;
    return [randomField(rng, s)];
  }
  if (roll < 96) {
    // Rarely replace a story's criteria list: the LWW winner must agree everywhere.
    return [{ type: 'set', obj: rng.pick(live).id, key: 'criteria', value: { make: 'list' } }];
  }
  return createStory(rng, list, tag);
}

/** Sorted ids of every map container (used by the Byzantine replica to aim at real targets). */
export function mapIds(doc: Document): ObjId[] {
  const out: ObjId[] = [];
  for (const c of doc.state.containers.values()) if (c.kind === 'map') out.push(c.id);
  return out.sort();
}
