// Where the board lives inside the core document (PIPE1) and how to tell,
// from a container id alone, what part of the board it is: walking `parent`
// links up to the root gives every container a role. The replica's schema
// check, the incremental index and the commands all use this one map.
import { ROOT, actionObjId, type ContainerKind, type DocState, type ObjId, type Stamp, type Value } from '../core/index.js';

export const STAGES = ['backlog', 'current', 'qa', 'merge', 'done', 'archived'] as const;
export type Stage = (typeof STAGES)[number];
export const KINDS = ['story', 'bug', 'spike', 'refactor'] as const;
export type Kind = (typeof KINDS)[number];
export const ARCHIVE_REASONS = ['completed', 'abandoned', 'superseded'] as const;
export type ArchiveReason = (typeof ARCHIVE_REASONS)[number];

/** Root keys of a board (PIPE1). */
export const ROOT_KEYS = { stories: 'stories', settings: 'settings', names: 'names' } as const;

/**
 * What a container is on the board. `stories` is any list directly under the
 * root (the winner of `root.stories` and any list a concurrent init left
 * behind — PIPE3), `root-map` any map directly under the root (settings or
 * names), `deps` the `dependsOn` map of a story, `other` anything the board
 * does not know.
 */
export type Role = 'root' | 'stories' | 'root-map' | 'story' | 'criteria' | 'criterion' | 'deps' | 'other';

/** The role of a new container of `kind` created inside a container of role `parent`. */
export function childRole(parent: Role, kind: 'map' | 'list'): Role {
  switch (parent) {
    case 'root': return kind === 'list' ? 'stories' : 'root-map';
    case 'stories': return kind === 'map' ? 'story' : 'other';
    case 'story': return kind === 'list' ? 'criteria' : 'deps';
    case 'criteria': return kind === 'map' ? 'criterion' : 'other';
    default: return 'other';
  }
}

export interface Located {
  readonly role: Role;
  /** The story map that holds the container (itself for a story), if any. */
  readonly story?: ObjId;
}

/**
 * The role of an existing container and the story it belongs to. The walk is
 * bounded by the core's nesting cap (16), so hostile nesting cannot deepen it.
 */
export function locate(state: DocState, id: ObjId): Located | undefined {
  const chain: ObjId[] = [];
  let cur: ObjId | null = id;
  const kinds: ContainerKind[] = [];
  // Headers only: a walk up a restored state decodes no container (a stories list holds 10,000 elements).
  while (cur !== null) {
    const c = state.header(cur);
    if (c === undefined) return undefined;
    chain.push(cur);
    kinds.push(c.kind);
    cur = c.parent;
  }
  let role: Role = 'root';
  let story: ObjId | undefined;
  for (let i = chain.length - 2; i >= 0; i--) {
    role = childRole(role, kinds[i]!);
    if (role === 'story') story = chain[i];
  }
  return story === undefined ? { role } : { role, story };
}

/** The container a map field's register points at, when its value is a container. */
export function fieldContainer(state: DocState, mapId: ObjId, key: string): ObjId | undefined {
  const c = state.containers.get(mapId);
  if (c === undefined || c.kind !== 'map') return undefined;
  const reg = c.map.get(key);
  return reg === undefined ? undefined : registerContainer(reg);
}

/** The container a register's value made (its id is the write's action), or undefined for a primitive value. */
export function registerContainer(reg: { readonly value: Value; readonly stamp: Stamp }): ObjId | undefined {
  return isMake(reg.value) ? actionObjId(reg.stamp.op, reg.stamp.index) : undefined;
}

/** A field's primitive value, or undefined when absent or a container. */
export function fieldValue(state: DocState, mapId: ObjId, key: string): Value | undefined {
  const c = state.containers.get(mapId);
  if (c === undefined || c.kind !== 'map') return undefined;
  return c.map.get(key)?.value;
}

export function isMake(v: Value): v is { readonly make: 'map' | 'list' } {
  return typeof v === 'object' && v !== null;
}

/** Containers directly under the root, split by kind, sorted by id (deterministic). */
export function rootContainers(state: DocState): { lists: ObjId[]; maps: ObjId[] } {
  const lists: ObjId[] = [];
  const maps: ObjId[] = [];
  // Their kinds only: a restored stories list is not decoded for it (CORE16).
  for (const id of state.rootChildren) (state.header(id)!.kind === 'list' ? lists : maps).push(id);
  return { lists: lists.sort(), maps: maps.sort() };
}
