// Reads one story map from the document into plain, validated fields
// (PIPE10). Never throws: a field holding an invalid value (a hostile or
// buggy remote write) is treated as absent, gets its default, and is named
// in `issues`.
import type { DocState, MapContainer, ObjId, Value } from '../core/index.js';
import { registerContainer, type ArchiveReason, type Kind, type Stage } from './layout.js';
import { CRITERION_FIELDS, STORY_FIELDS, isStoryId } from './schema.js';

export interface CriterionView {
  /** The criterion's list element (a map): what edits and removals address. */
  readonly elem: ObjId;
  readonly text: string;
  readonly done: boolean;
}

/** A story's fields as stored, validated, with defaults for absent or invalid values. */
export interface StoryFields {
  readonly id: string;
  readonly kind: Kind;
  readonly title: string;
  readonly description: string;
  readonly criteria: readonly CriterionView[];
  readonly stage: Stage;
  /** Story ids, sorted. Stored as a nested map storyId → true (false = removed). */
  readonly dependsOn: readonly string[];
  readonly assignee: string | null;
  readonly blocked: boolean;
  readonly blockedReason: string | null;
  readonly retries: number;
  readonly archiveReason: ArchiveReason | null;
  readonly rank: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedBy: string;
  readonly updatedAt: number;
  readonly doneAt: number | null;
}

export interface RawStory {
  readonly elem: ObjId;
  /** The stories list holding the element. */
  readonly list: ObjId;
  /** Tombstoned in its list: purged. */
  readonly deleted: boolean;
  /** Undefined when the story has no valid id (it cannot be shown or addressed). */
  readonly fields: StoryFields | undefined;
  readonly issues: readonly string[];
}

const DEFAULTS = {
  kind: 'story', title: '', description: '', stage: 'backlog', assignee: null, blocked: false,
  blockedReason: null, retries: 0, archiveReason: null, rank: '', createdBy: '', createdAt: 0,
  updatedBy: '', updatedAt: 0, doneAt: null,
} as const;

type Scalar = keyof typeof DEFAULTS;

/**
 * Reads the story map `elem` of stories list `list`. Peeks (DocState.peek):
 * reading a whole board decodes a restored story's containers without
 * keeping them, and the ones an op changes are kept when it applies.
 */
export function readStory(state: DocState, list: ObjId, elem: ObjId, deleted: boolean): RawStory {
  const c = state.peek(elem);
  const issues: string[] = [];
  if (c === undefined || c.kind !== 'map') return { elem, list, deleted, fields: undefined, issues: ['not a story map'] };
  const get = (key: string): Value | undefined => c.map.get(key)?.value;
  const id = get('id');
  if (!isStoryId(id)) return { elem, list, deleted, fields: undefined, issues: ['missing or invalid id'] };
  /** A field as stored, or its default when absent or invalid (named in `issues`). */
  const field = <K extends Scalar>(key: K): StoryFields[K] => {
    const v = get(key);
    if (v === undefined) return DEFAULTS[key] as StoryFields[K];
    const bad = STORY_FIELDS[key]!(v);
    if (bad !== undefined) { issues.push(`${key} ${bad}`); return DEFAULTS[key] as StoryFields[K]; }
    return v as StoryFields[K];
  };
  // Read in DEFAULTS' order (the order of `issues`). Who created and last
  // updated the story come from the signed ops themselves (the author of the
  // op that set `id`, and of the one that last set `updatedAt`), not from
  // self-declared fields: authenticated, and ~130 bytes smaller per op; the
  // stored fields are still checked.
  const kind = field('kind'), title = field('title'), description = field('description'), stage = field('stage');
  const assignee = field('assignee'), blocked = field('blocked'), blockedReason = field('blockedReason'), retries = field('retries');
  const archiveReason = field('archiveReason'), rank = field('rank');
  field('createdBy');
  const createdAt = field('createdAt');
  field('updatedBy');
  const updatedAt = field('updatedAt'), doneAt = field('doneAt');
  const createdBy = c.map.get('id')!.stamp.author;
  const updatedBy = c.map.get('updatedAt')?.stamp.author ?? createdBy;
  const criteria = readCriteria(state, c, issues);
  const dependsOn = readDeps(state, c, issues);
  // One literal, its keys in one order: every story has the same shape (the
  // board index copies it into a view, the page gets it by structured clone).
  const fields: StoryFields = {
    id, kind, title, description, stage, assignee, blocked, blockedReason, retries, archiveReason, rank,
    createdBy, createdAt, updatedBy, updatedAt, doneAt, criteria, dependsOn,
  };
  return { elem, list, deleted, fields, issues };
}

/** The container a story field holds, peeked; undefined when the field is absent, null when it holds no container. */
function fieldPeek(state: DocState, story: MapContainer, key: string) {
  const reg = story.map.get(key);
  if (reg === undefined) return undefined;
  const id = registerContainer(reg);
  return id === undefined ? null : state.peek(id) ?? null;
}

function readCriteria(state: DocState, story: MapContainer, issues: string[]): CriterionView[] {
  const list = fieldPeek(state, story, 'criteria');
  if (list === undefined) return [];
  if (list === null || list.kind !== 'list') { issues.push('criteria must be a list'); return []; }
  const out: CriterionView[] = [];
  for (const el of list.list.visible()) {
    const m = state.peek(el.id);
    if (m === undefined || m.kind !== 'map') { issues.push('criterion is not a map'); continue; }
    const t = m.map.get('text')?.value ?? '';
    const d = m.map.get('done')?.value ?? false;
    const badT = CRITERION_FIELDS.text!(t);
    const badD = CRITERION_FIELDS.done!(d);
    if (badT !== undefined) issues.push(`criterion text ${badT}`);
    if (badD !== undefined) issues.push(`criterion done ${badD}`);
    out.push({ elem: el.id, text: badT === undefined ? (t as string) : '', done: badD === undefined ? (d as boolean) : false });
  }
  return out;
}

function readDeps(state: DocState, story: MapContainer, issues: string[]): string[] {
  const map = fieldPeek(state, story, 'dependsOn');
  if (map === undefined) return [];
  if (map === null || map.kind !== 'map') { issues.push('dependsOn must be a map'); return []; }
  const out: string[] = [];
  for (const [k, reg] of map.map.fields) {
    if (!isStoryId(k)) { issues.push('dependency key is not a story id'); continue; }
    if (reg.value === true) out.push(k);
    else if (reg.value !== false && reg.value !== null) issues.push(`dependency ${k} must be a boolean`);
  }
  return out.sort();
}
