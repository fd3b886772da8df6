// The board's schema (PIPE10–PIPE13): what each story field, criterion,
// dependency entry, setting and display name may hold. Values from remote
// ops can be anything, so the read side treats an invalid field as absent and
// reports it, and `validateOpForBoard` lets the replica reject a violating op
// before it is applied. Every check depends only on the op and on containers
// its causal past created, so all replicas decide alike (CORE9).
import { FORBIDDEN_KEYS, actionObjId, type Document, type ObjId, type Op, type Value } from '../core/index.js';
import {
  ARCHIVE_REASONS, KINDS, ROOT_KEYS, STAGES, childRole, isMake, locate, type Role,
} from './layout.js';
import { isRank } from './rank.js';

export const SCHEMA_LIMITS = {
  titleChars: 500,
  descriptionBytes: 32 * 1024,
  criterionChars: 1000,
  assigneeChars: 200,
  reasonChars: 500,
  nameChars: 100,
  rankChars: 1024,
} as const;

/** A short story id: letters, digits, `_ . -`, 1–64 characters, not a prototype key. */
export function isStoryId(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v) && !FORBIDDEN_KEYS.has(v);
}

/** 64 lowercase hex characters: an author key, as used for `names` keys. */
export function isAuthorHex(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
}

/** UTF-8 length without TextEncoder (not in the pure lib). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; } else n += 3;
  }
  return n;
}

type Check = (v: Value) => string | undefined;

const oneOf = (set: readonly string[]): Check => (v) => (typeof v === 'string' && set.includes(v) ? undefined : `must be one of ${set.join('|')}`);
const text = (max: number, nullable = false): Check => (v) =>
  (nullable && v === null) ? undefined : typeof v !== 'string' ? 'must be a string' : v.length > max ? `longer than ${max} characters` : undefined;
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean');
const time = (nullable: boolean): Check => (v) =>
  (nullable && v === null) || (typeof v === 'number' && Number.isFinite(v) && v >= 0) ? undefined : 'must be a time in ms';
const count: Check = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'must be a non-negative integer');
const make = (kind: 'map' | 'list'): Check => (v) => (isMake(v) && v.make === kind ? undefined : `must be a new ${kind}`);

/** Story fields and their checks (PIPE10). Unknown fields are tolerated for forward compatibility but must be primitives. */
export const STORY_FIELDS: Readonly<Record<string, Check>> = {
  id: (v) => (isStoryId(v) ? undefined : 'must be a story id'),
  kind: oneOf(KINDS),
  title: text(SCHEMA_LIMITS.titleChars),
  description: (v) => (typeof v !== 'string' ? 'must be a string'
    : utf8Length(v) > SCHEMA_LIMITS.descriptionBytes ? 'longer than 32 KiB' : undefined),
  criteria: make('list'),
  stage: oneOf(STAGES),
  dependsOn: make('map'),
  assignee: text(SCHEMA_LIMITS.assigneeChars, true),
  blocked: bool,
  blockedReason: text(SCHEMA_LIMITS.reasonChars, true),
  retries: count,
  archiveReason: (v) => (v === null ? undefined : oneOf(ARCHIVE_REASONS)(v)),
  rank: (v) => (isRank(v) && v.length <= SCHEMA_LIMITS.rankChars ? undefined : 'must be a rank'),
  createdBy: text(128),
  createdAt: time(false),
  updatedBy: text(128),
  updatedAt: time(false),
  doneAt: time(true),
};

export const CRITERION_FIELDS: Readonly<Record<string, Check>> = {
  text: text(SCHEMA_LIMITS.criterionChars),
  done: bool,
};

export const SETTING_FIELDS: Readonly<Record<string, Check>> = {
  autoPromote: bool,
  archiveAfterMs: (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'must be a non-negative integer of ms'),
  retryLimit: count,
};

/** Why `value` may not be written to `key` of a container with `role`, or undefined. */
export function checkSet(role: Role, key: string, value: Value): string | undefined {
  switch (role) {
    case 'root':
      if (key === ROOT_KEYS.stories) return make('list')(value);
      if (key === ROOT_KEYS.settings || key === ROOT_KEYS.names) return make('map')(value);
      return 'unknown board root key';
    case 'story': {
      const check = STORY_FIELDS[key];
      if (check) return check(value);
      return isMake(value) ? 'unknown story field may not hold a container' : undefined;
    }
    case 'criterion': {
      const check = CRITERION_FIELDS[key];
      return check ? check(value) : 'unknown criterion field';
    }
    case 'deps':
      if (!isStoryId(key)) return 'dependency key must be a story id';
      return typeof value === 'boolean' || value === null ? undefined : 'dependency must be a boolean';
    case 'root-map': {
      const check = SETTING_FIELDS[key];
      if (check) return check(value);
      if (isAuthorHex(key)) return text(SCHEMA_LIMITS.nameChars, true)(value);
      return 'unknown setting or name key';
    }
    default:
      return 'not a board container';
  }
}

/**
 * Why a remote op breaks the board schema, or undefined when it may be
 * applied (PIPE11). Call it after authentication and before applying. Ops
 * the core would reject anyway (unknown containers) pass through to it.
 */
export function validateOpForBoard(doc: Document, op: Op): string | undefined {
  const state = doc.state;
  const created = new Map<ObjId, Role>();
  const createdStories = new Set<ObjId>();
  const storyIdSet = new Set<ObjId>();
  const roleOf = (id: ObjId): Role | undefined => created.get(id) ?? locate(state, id)?.role;
  for (let i = 0; i < op.actions.length; i++) {
    const a = op.actions[i]!;
    const role = roleOf(a.obj);
    if (role === undefined) continue; // the core rejects unknown containers itself
    if (a.type === 'set') {
      const reason = checkSet(role, a.key, a.value);
      if (reason !== undefined) return `action ${i}: ${role}.${a.key} ${reason}`;
      // A story's id is fixed by the op that creates it (PIPE12).
      if (role === 'story' && a.key === 'id') {
        if (!createdStories.has(a.obj)) return `action ${i}: a story id cannot change`;
        storyIdSet.add(a.obj);
      }
      if (isMake(a.value)) created.set(actionObjId(op.id, i), childRole(role, a.value.make));
    } else if (a.type === 'ins') {
      if (role !== 'stories' && role !== 'criteria') return `action ${i}: insert into ${role}`;
      if (!isMake(a.value) || a.value.make !== 'map') return `action ${i}: ${role} elements must be new maps`;
      const id = actionObjId(op.id, i);
      const r = childRole(role, 'map');
      created.set(id, r);
      if (r === 'story') createdStories.add(id);
    } else if (role !== 'stories' && role !== 'criteria') {
      return `action ${i}: delete from ${role}`;
    }
  }
  for (const s of createdStories) if (!storyIdSet.has(s)) return 'a new story must get its id in the op that creates it';
  return undefined;
}
