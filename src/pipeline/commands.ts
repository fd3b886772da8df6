// Board commands (PIPE6–PIPE8): pure functions that turn one user intent into
// the core actions of ONE op, given the current document (read only) and the
// caller's context. Time and author come in as values. Misuse throws a
// CommandError; an empty array means "nothing to change" (the caller must not
// build an op from it — the core needs 1..1024 actions).
import { HEAD, ROOT, type Document, type LocalAction, type LocalRef, type ObjId, type Primitive } from '../core/index.js';
import { CommandError } from './errors.js';
import { ARCHIVE_REASONS, STAGES, fieldContainer, type ArchiveReason, type Kind, type Stage } from './layout.js';
import { isRank, rankBetween } from './rank.js';
import { CRITERION_FIELDS, SETTING_FIELDS, STORY_FIELDS, isAuthorHex, isStoryId, utf8Length } from './schema.js';
import { findStory, lastRank, requireStoriesList, requireStory } from './story-lookup.js';
import { DEFAULT_SETTINGS, type Settings } from './view.js';

export interface CommandContext {
  /** The acting author (hex public key); createdBy/updatedBy are read from op authors, not written. */
  readonly author: string;
  /** Now, in ms since the epoch, from the caller's clock. */
  readonly now: number;
}

export const COMMAND_LIMITS = { criteria: 100, dependsOn: 100, opBytes: 60 * 1024 } as const;

export interface CreateStoryInput {
  readonly id: string;
  readonly kind: Kind;
  readonly title: string;
  readonly description?: string;
  readonly criteria?: readonly (string | { readonly text: string; readonly done?: boolean })[];
  readonly dependsOn?: readonly string[];
  readonly assignee?: string | null;
  readonly stage?: Stage;
  readonly rank?: string;
}

export type CriteriaChange =
  | { readonly op: 'add'; readonly text: string; readonly done?: boolean; readonly after?: ObjId }
  | { readonly op: 'remove'; readonly elem: ObjId }
  | { readonly op: 'text'; readonly elem: ObjId; readonly text: string }
  | { readonly op: 'done'; readonly elem: ObjId; readonly done: boolean };

export interface StoryPatch {
  readonly title?: string;
  readonly kind?: Kind;
  readonly description?: string;
  readonly assignee?: string | null;
  /** The full new set of dependencies; only the difference is written (PIPE7). */
  readonly dependsOn?: readonly string[];
  readonly criteria?: readonly CriteriaChange[];
}

const LETTERS = '0123456789abcdefghjkmnpqrstvwxyz';

/** A short story id 'S-xxxxxxxx' from ≥5 random bytes supplied by the caller (40 bits). */
export function newStoryId(random: Uint8Array): string {
  if (random.length < 5) throw new RangeError('newStoryId needs at least 5 random bytes');
  let bits = 0n;
  for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(random[i]!);
  let out = '';
  for (let i = 0; i < 8; i++) { out = LETTERS[Number(bits & 31n)]! + out; bits >>= 5n; }
  return `S-${out}`;
}

function check(field: string, bad: string | undefined): void {
  if (bad !== undefined) throw new CommandError('invalid', `${field} ${bad}`);
}

const title = (t: string) => { check('title', STORY_FIELDS.title!(t)); if (t.trim() === '') throw new CommandError('invalid', 'title is empty'); };

function checkDeps(selfId: string, deps: readonly string[]): void {
  if (deps.length > COMMAND_LIMITS.dependsOn) throw new CommandError('too-large', `at most ${COMMAND_LIMITS.dependsOn} dependencies`);
  for (const d of deps) {
    if (!isStoryId(d)) throw new CommandError('invalid', `not a story id: ${String(d)}`);
    if (d === selfId) throw new CommandError('invalid', 'a story cannot depend on itself');
  }
}

function sizeCheck(actions: readonly LocalAction[]): LocalAction[] {
  let bytes = 0;
  for (const a of actions) bytes += 48 + (a.type === 'set' ? utf8Length(a.key) : 0) + ('value' in a && typeof a.value === 'string' ? utf8Length(a.value) : 0);
  if (bytes > COMMAND_LIMITS.opBytes) throw new CommandError('too-large', 'the change is too large for one op');
  return actions as LocalAction[];
}

/** Creates stories/settings/names where the root lacks them (PIPE2). Only the room creator calls it. */
export function initBoard(doc: Document, _ctx: CommandContext): LocalAction[] {
  const out: LocalAction[] = [];
  if (fieldContainer(doc.state, ROOT, 'stories') === undefined) out.push({ type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } });
  if (fieldContainer(doc.state, ROOT, 'settings') === undefined) {
    const at = out.length;
    out.push({ type: 'set', obj: ROOT, key: 'settings', value: { make: 'map' } });
    for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) out.push({ type: 'set', obj: { self: at }, key: k, value: v });
  }
  if (fieldContainer(doc.state, ROOT, 'names') === undefined) out.push({ type: 'set', obj: ROOT, key: 'names', value: { make: 'map' } });
  return out;
}

/** One op creating a story map with all its fields and nested lists (PIPE6). */
export function createStory(doc: Document, ctx: CommandContext, input: CreateStoryInput): LocalAction[] {
  const list = requireStoriesList(doc.state);
  if (!isStoryId(input.id)) throw new CommandError('invalid', `not a story id: ${String(input.id)}`);
  if (findStory(doc.state, input.id) !== undefined) throw new CommandError('duplicate-id', `story ${input.id} already exists`);
  check('kind', STORY_FIELDS.kind!(input.kind));
  title(input.title);
  const stage = input.stage ?? 'backlog';
  check('stage', STORY_FIELDS.stage!(stage));
  if (stage === 'archived') throw new CommandError('invalid', 'a new story cannot start archived');
  const description = input.description ?? '';
  check('description', STORY_FIELDS.description!(description));
  const assignee = input.assignee ?? null;
  check('assignee', STORY_FIELDS.assignee!(assignee));
  const deps = [...new Set(input.dependsOn ?? [])];
  checkDeps(input.id, deps);
  const criteria = (input.criteria ?? []).map((c) => (typeof c === 'string' ? { text: c, done: false } : { text: c.text, done: c.done ?? false }));
  if (criteria.length > COMMAND_LIMITS.criteria) throw new CommandError('too-large', `at most ${COMMAND_LIMITS.criteria} criteria`);
  for (const c of criteria) { check('criterion text', CRITERION_FIELDS.text!(c.text)); check('criterion done', CRITERION_FIELDS.done!(c.done)); }
  if (input.rank !== undefined && !isRank(input.rank)) throw new CommandError('invalid', 'rank must be a rank');
  const rank = input.rank ?? rankBetween(lastRank(doc.state, stage), undefined);

  const s = { self: 0 };
  const out: LocalAction[] = [{ type: 'ins', obj: list, after: HEAD, value: { make: 'map' } }];
  const fields: Record<string, Primitive> = {
    id: input.id, kind: input.kind, title: input.title, description, stage, assignee, blocked: false,
    blockedReason: null, retries: 0, archiveReason: null, rank, createdAt: ctx.now,
    updatedAt: ctx.now, doneAt: stage === 'done' ? ctx.now : null,
  };
  for (const [key, value] of Object.entries(fields)) out.push({ type: 'set', obj: s, key, value });
  const cl = out.length;
  out.push({ type: 'set', obj: s, key: 'criteria', value: { make: 'list' } });
  let after: LocalRef = HEAD;
  for (const c of criteria) {
    const at = out.length;
    out.push({ type: 'ins', obj: { self: cl }, after, value: { make: 'map' } });
    out.push({ type: 'set', obj: { self: at }, key: 'text', value: c.text });
    out.push({ type: 'set', obj: { self: at }, key: 'done', value: c.done });
    after = { self: at };
  }
  const dm = out.length;
  out.push({ type: 'set', obj: s, key: 'dependsOn', value: { make: 'map' } });
  for (const d of deps.sort()) out.push({ type: 'set', obj: { self: dm }, key: d, value: true });
  return sizeCheck(out);
}

const touch = (elem: ObjId, ctx: CommandContext): LocalAction[] => [
  { type: 'set', obj: elem, key: 'updatedAt', value: ctx.now },
];

/** Edits title/kind/description/assignee/dependencies/criteria; writes only what differs (PIPE7). */
export function editStory(doc: Document, ctx: CommandContext, storyId: string, patch: StoryPatch): LocalAction[] {
  const st = doc.state;
  const s = requireStory(st, storyId);
  const f = s.fields;
  const out: LocalAction[] = [];
  const set = (key: string, value: Primitive) => out.push({ type: 'set', obj: s.elem, key, value });
  if (patch.title !== undefined && patch.title !== f.title) { title(patch.title); set('title', patch.title); }
  if (patch.kind !== undefined && patch.kind !== f.kind) { check('kind', STORY_FIELDS.kind!(patch.kind)); set('kind', patch.kind); }
  if (patch.description !== undefined && patch.description !== f.description) {
    check('description', STORY_FIELDS.description!(patch.description)); set('description', patch.description);
  }
  if (patch.assignee !== undefined && patch.assignee !== f.assignee) { check('assignee', STORY_FIELDS.assignee!(patch.assignee)); set('assignee', patch.assignee); }
  if (patch.dependsOn !== undefined) {
    const next = new Set(patch.dependsOn);
    checkDeps(f.id, [...next]);
    const cur = new Set(f.dependsOn);
    const changes: [string, boolean][] = [];
    for (const d of [...next].sort()) if (!cur.has(d)) changes.push([d, true]);
    for (const d of cur) if (!next.has(d)) changes.push([d, false]);
    if (changes.length > 0) {
      let map: LocalRef | undefined = fieldContainer(st, s.elem, 'dependsOn');
      if (map === undefined || st.containers.get(map)?.kind !== 'map') {
        map = { self: out.length };
        out.push({ type: 'set', obj: s.elem, key: 'dependsOn', value: { make: 'map' } });
      }
      for (const [d, v] of changes) out.push({ type: 'set', obj: map, key: d, value: v });
    }
  }
  if (patch.criteria !== undefined && patch.criteria.length > 0) criteriaActions(doc, s.elem, f.criteria, patch.criteria, out);
  if (out.length === 0) return [];
  out.push(...touch(s.elem, ctx));
  return sizeCheck(out);
}

function criteriaActions(
  doc: Document, elem: ObjId, current: readonly { elem: ObjId }[], changes: readonly CriteriaChange[], out: LocalAction[],
): void {
  const st = doc.state;
  let list: LocalRef | undefined = fieldContainer(st, elem, 'criteria');
  if (list === undefined || st.containers.get(list)?.kind !== 'list') {
    list = { self: out.length };
    out.push({ type: 'set', obj: elem, key: 'criteria', value: { make: 'list' } });
  }
  const known = new Set(current.map((c) => c.elem));
  const need = (e: ObjId) => { if (!known.has(e)) throw new CommandError('invalid', `no criterion ${e}`); };
  let last: LocalRef = current.length > 0 ? current[current.length - 1]!.elem : HEAD;
  if (current.length + changes.filter((c) => c.op === 'add').length > COMMAND_LIMITS.criteria) {
    throw new CommandError('too-large', `at most ${COMMAND_LIMITS.criteria} criteria`);
  }
  for (const c of changes) {
    if (c.op === 'add') {
      check('criterion text', CRITERION_FIELDS.text!(c.text));
      const after: LocalRef = c.after === undefined ? last : (need(c.after), c.after);
      const at = out.length;
      out.push({ type: 'ins', obj: list, after, value: { make: 'map' } });
      out.push({ type: 'set', obj: { self: at }, key: 'text', value: c.text });
      out.push({ type: 'set', obj: { self: at }, key: 'done', value: c.done ?? false });
      if (c.after === undefined) last = { self: at };
    } else if (c.op === 'remove') {
      need(c.elem); out.push({ type: 'del', obj: list, elem: c.elem });
    } else if (c.op === 'text') {
      need(c.elem); check('criterion text', CRITERION_FIELDS.text!(c.text));
      out.push({ type: 'set', obj: c.elem, key: 'text', value: c.text });
    } else {
      need(c.elem); check('criterion done', CRITERION_FIELDS.done!(c.done));
      out.push({ type: 'set', obj: c.elem, key: 'done', value: c.done });
    }
  }
}

/** Moves a story to another column (end of it unless a rank is given) (PIPE8). */
export function moveStory(doc: Document, ctx: CommandContext, storyId: string, stage: Stage, rank?: string): LocalAction[] {
  const s = requireStory(doc.state, storyId);
  if (!STAGES.includes(stage)) throw new CommandError('invalid', `unknown stage ${String(stage)}`);
  if (stage === 'archived') throw new CommandError('invalid', 'use archiveStory to archive (it needs a reason)');
  if (rank !== undefined && !isRank(rank)) throw new CommandError('invalid', 'rank must be a rank');
  if (stage === s.fields.stage && (rank === undefined || rank === s.fields.rank)) return [];
  const r = rank ?? (stage === s.fields.stage ? s.fields.rank : rankBetween(lastRank(doc.state, stage, s.elem), undefined));
  const out: LocalAction[] = [
    { type: 'set', obj: s.elem, key: 'stage', value: stage },
    { type: 'set', obj: s.elem, key: 'rank', value: r },
  ];
  if (stage === 'done' && s.fields.stage !== 'done') out.push({ type: 'set', obj: s.elem, key: 'doneAt', value: ctx.now });
  if (stage !== 'done' && s.fields.doneAt !== null) out.push({ type: 'set', obj: s.elem, key: 'doneAt', value: null });
  if (s.fields.archiveReason !== null) out.push({ type: 'set', obj: s.elem, key: 'archiveReason', value: null });
  return [...out, ...touch(s.elem, ctx)];
}

/** Sets a story's rank within its column (PIPE5). */
export function reorderStory(doc: Document, ctx: CommandContext, storyId: string, rank: string): LocalAction[] {
  const s = requireStory(doc.state, storyId);
  check('rank', STORY_FIELDS.rank!(rank));
  if (rank === s.fields.rank) return [];
  return [{ type: 'set', obj: s.elem, key: 'rank', value: rank }, ...touch(s.elem, ctx)];
}

function fieldsCommand(doc: Document, ctx: CommandContext, storyId: string, values: (f: ReturnType<typeof requireStory>['fields']) => Record<string, Primitive>): LocalAction[] {
  const s = requireStory(doc.state, storyId);
  const out: LocalAction[] = [];
  for (const [key, value] of Object.entries(values(s.fields))) out.push({ type: 'set', obj: s.elem, key, value });
  return [...out, ...touch(s.elem, ctx)];
}

/** Blocks a story with a reason (PIPE8). */
export function blockStory(doc: Document, ctx: CommandContext, storyId: string, reason: string): LocalAction[] {
  check('blockedReason', STORY_FIELDS.blockedReason!(reason));
  return fieldsCommand(doc, ctx, storyId, () => ({ blocked: true, blockedReason: reason }));
}

/** Unblocks a story and resets its retry count (PIPE8). */
export function unblockStory(doc: Document, ctx: CommandContext, storyId: string): LocalAction[] {
  return fieldsCommand(doc, ctx, storyId, () => ({ blocked: false, blockedReason: null, retries: 0 }));
}

/** Counts one more retry (PIPE8). */
export function recordRetry(doc: Document, ctx: CommandContext, storyId: string): LocalAction[] {
  return fieldsCommand(doc, ctx, storyId, (f) => ({ retries: f.retries + 1 }));
}

/** Archives a story with a reason (PIPE8). */
export function archiveStory(doc: Document, ctx: CommandContext, storyId: string, reason: ArchiveReason): LocalAction[] {
  if (!ARCHIVE_REASONS.includes(reason)) throw new CommandError('invalid', `unknown archive reason ${String(reason)}`);
  return fieldsCommand(doc, ctx, storyId, () => ({ stage: 'archived', archiveReason: reason }));
}

/** Purges a story: tombstones its element; nothing brings it back (PIPE14). */
export function purgeStory(doc: Document, _ctx: CommandContext, storyId: string): LocalAction[] {
  const s = requireStory(doc.state, storyId);
  return [{ type: 'del', obj: s.list, elem: s.elem }];
}

/** Writes one board setting (PIPE15). */
export function setSetting<K extends keyof Settings>(doc: Document, _ctx: CommandContext, key: K, value: Settings[K]): LocalAction[] {
  const map = fieldContainer(doc.state, ROOT, 'settings');
  if (map === undefined || doc.state.containers.get(map)?.kind !== 'map') throw new CommandError('not-initialised', 'the board is not initialised');
  const c = SETTING_FIELDS[key];
  if (c === undefined) throw new CommandError('invalid', `unknown setting ${String(key)}`);
  check(key, c(value));
  return [{ type: 'set', obj: map, key, value }];
}

/** Sets the acting author's display name (PIPE15). */
export function setDisplayName(doc: Document, ctx: CommandContext, name: string): LocalAction[] {
  const map = fieldContainer(doc.state, ROOT, 'names');
  if (map === undefined || doc.state.containers.get(map)?.kind !== 'map') throw new CommandError('not-initialised', 'the board is not initialised');
  if (!isAuthorHex(ctx.author)) throw new CommandError('invalid', 'author must be a hex public key');
  const n = name.trim();
  if (n === '' || n.length > 100) throw new CommandError('invalid', 'a name has 1–100 characters');
  return [{ type: 'set', obj: map, key: ctx.author, value: n }];
}

