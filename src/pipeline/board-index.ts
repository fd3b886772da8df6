// The incremental board view (PIPE16, PIPE20). Keeps every story's view and
// the sorted columns, and after a batch of applied ops re-reads only the
// stories those ops touched (found by walking `parent` links up to a stories
// list), plus the stories whose dependency statuses they change. Emits the
// transition events of the batch. `readBoard` builds one of these once.
import { ROOT, actionObjId, compareStamps, type Document, type ObjId, type Op, type Stamp } from '../core/index.js';
import { cycleComponents, depView } from './deps.js';
import { diffStory, type BoardEvent, type Cause } from './events.js';
import { STAGES, isMake, locate, rootContainers, type Stage } from './layout.js';
import { compareRanked } from './rank.js';
import { SETTING_FIELDS, isAuthorHex, SCHEMA_LIMITS } from './schema.js';
import { readStory, type RawStory, type StoryFields } from './story-read.js';
import { useStoryLookup, type StoryLookup } from './story-lookup.js';
import { DEFAULT_SETTINGS, isReady, type BoardMeta, type BoardView, type Settings, type StoryView } from './view.js';

const add = <K, V>(m: Map<K, Set<V>>, k: K, v: V) => { let s = m.get(k); if (!s) m.set(k, s = new Set()); s.add(v); };
const remove = <K, V>(m: Map<K, Set<V>>, k: K, v: V) => { const s = m.get(k); if (s) { s.delete(v); if (s.size === 0) m.delete(k); } };
const minOf = (s: Set<ObjId> | undefined): ObjId | undefined => { let m: ObjId | undefined; if (s) for (const x of s) if (m === undefined || x < m) m = x; return m; };

/** A batch that rebuilds more stories than this is a bulk one (a catch-up, an import): its columns sort once, later. */
const BULK_STORIES = 16;

/**
 * One stage's stories in board order (rank, then id, then element: PIPE5).
 * A small batch moves each story by a binary search and a splice. A bulk
 * batch only notes each story's view now (or that it left), by element, and
 * the column sorts once when it is next read: a splice per story into a
 * 10,000-story column was ~12 % of a catch-up's replica worker (CPU profile,
 * 100,000-op room).
 */
class Column {
  private items: StoryView[] = [];
  /** Held changes by element: its view in this column now, or null when it left. */
  private readonly held = new Map<ObjId, StoryView | null>();

  /** The stories in order. */
  get sorted(): readonly StoryView[] {
    if (this.held.size > 0) this.settle();
    return this.items;
  }

  put(v: StoryView, bulk: boolean): void {
    if (bulk || this.held.size > 0) { this.held.set(v.elem, v); return; }
    this.items.splice(this.at(v), 0, v);
  }

  drop(v: StoryView, bulk: boolean): void {
    if (bulk || this.held.size > 0) {
      const now = this.held.get(v.elem);
      if (now === undefined || now === v) this.held.set(v.elem, null);
      return;
    }
    const i = this.at(v);
    if (this.items[i] === v) this.items.splice(i, 1);
  }

  /** Where `v` is or would go (binary search). */
  private at(v: StoryView): number {
    const items = this.items;
    let lo = 0, hi = items.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (compareRanked(items[mid]!, v) < 0) lo = mid + 1; else hi = mid; }
    return lo;
  }

  private settle(): void {
    const held = this.held;
    // A held element's old view (if any) goes; its view now (if any) comes back.
    const items = this.items.filter((v) => !held.has(v.elem));
    for (const v of held.values()) if (v !== null) items.push(v);
    // Sorted already but for the tail: the sort finds the long run and merges the rest into it.
    items.sort(compareRanked);
    this.items = items;
    held.clear();
  }
}

/** Bumped whenever RawStory changes: a cached board of another format is not used. */
export const BOARD_CACHE_FORMAT = 1;

/** The stories of a board as read when the document held its first `upTo` ops (BoardIndex.cache). */
export interface CachedBoard {
  readonly format: number;
  readonly upTo: number;
  readonly raws: readonly RawStory[];
}

/** Whether a cached story has RawStory's shape (its fields were validated when it was read from the state). */
function isRawStory(x: unknown): x is RawStory {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<RawStory>;
  if (typeof r.elem !== 'string' || typeof r.list !== 'string' || typeof r.deleted !== 'boolean' || !Array.isArray(r.issues)) return false;
  if (r.fields === undefined) return true;
  const f = r.fields as Partial<StoryFields> | null;
  return typeof f === 'object' && f !== null && typeof f.id === 'string' && typeof f.stage === 'string' && typeof f.rank === 'string'
    && Array.isArray(f.dependsOn) && Array.isArray(f.criteria);
}

/**
 * A cached board kept with a snapshot of `upTo` ops, when it is one of this
 * format and every story has the shape the index reads (a damaged cache is
 * not used: the stories are read from the state instead).
 */
export function cachedBoard(x: unknown, upTo: number): CachedBoard | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const c = x as Partial<CachedBoard>;
  return c.format === BOARD_CACHE_FORMAT && c.upTo === upTo && Array.isArray(c.raws) && c.raws.every(isRawStory) ? (c as CachedBoard) : undefined;
}

export class BoardIndex implements StoryLookup {
  private readonly lists = new Set<ObjId>();
  private readonly maps = new Set<ObjId>();
  private readonly raws = new Map<ObjId, RawStory>();
  private readonly liveById = new Map<string, Set<ObjId>>();
  private readonly deadById = new Map<string, Set<ObjId>>();
  private readonly winners = new Map<string, RawStory>();
  private readonly views = new Map<string, StoryView>();
  private readonly dependents = new Map<string, Set<string>>();
  private comp = new Map<string, string>();
  private readonly columns = Object.fromEntries(STAGES.map((s) => [s, new Column()])) as Record<Stage, Column>;
  private settings: Settings = DEFAULT_SETTINGS;
  private names: Record<string, string> = {};
  private cached: BoardView | undefined;
  /** meta(), kept until something it shows may have changed (root maps, a story's id, validity or deletion). */
  private cachedMeta: BoardMeta | undefined;

  /** How many applied ops of the document this index has folded in. */
  private folded: number;

  /**
   * Reads every story of the document — or, given `cached` (what `cache()`
   * returned when the document held its first `cached.upTo` ops, kept with
   * the snapshot), takes the stories from it: the index then stands at
   * `upTo`, and the caller folds in the ops applied since with `update`.
   */
  constructor(private readonly doc: Document, cached?: CachedBoard) {
    useStoryLookup(doc.state, this);
    this.folded = cached?.upTo ?? doc.opCount;
    const { lists, maps } = rootContainers(doc.state);
    for (const m of maps) this.maps.add(m);
    for (const l of lists) this.lists.add(l);
    if (cached) for (const raw of cached.raws) this.store(raw);
    else {
      for (const l of lists) {
        // The stories themselves are read without keeping them decoded (readStory).
        const c = doc.state.containers.get(l)!;
        if (c.kind === 'list') for (const el of c.list.all()) if (isMake(el.value) && el.value.make === 'map') this.read(l, el.id, el.deleted);
      }
    }
    for (const id of this.liveById.keys()) this.winners.set(id, this.raws.get(minOf(this.liveById.get(id))!)!);
    for (const [id, w] of this.winners) for (const d of w.fields!.dependsOn) add(this.dependents, d, id);
    this.comp = cycleComponents(this.winners.keys(), (id) => this.winners.get(id)?.fields!.dependsOn);
    for (const id of this.winners.keys()) {
      const v = this.build(id)!;
      this.views.set(id, v);
      this.columns[v.stage].put(v, true);
    }
    this.readRoot();
  }

  /** The current view (materialised lazily, then cached until the next update). */
  get view(): BoardView {
    if (this.cached) return this.cached;
    const byStage = Object.fromEntries(STAGES.map((s) => [s, this.columns[s].sorted.slice()])) as Record<Stage, StoryView[]>;
    this.cached = { ...this.meta(), stories: STAGES.flatMap((s) => byStage[s]), byStage };
    return this.cached;
  }

  /**
   * The board-level part of the view, without the columns. The same object
   * until settings, names, purged ids or issues may have changed, so an edit
   * of a story's fields costs nothing here and callers can tell "unchanged"
   * by identity.
   */
  meta(): BoardMeta {
    if (this.cachedMeta) return this.cachedMeta;
    const purgedIds = [...this.deadById.keys()].filter((id) => !this.liveById.has(id)).sort();
    const issues: string[] = [];
    for (const r of this.raws.values()) if (!r.deleted && r.fields === undefined) issues.push(`story ${r.elem}: ${r.issues.join(', ')}`);
    for (const [id, s] of this.liveById) if (s.size > 1) issues.push(`duplicate story id ${id}: ${s.size} stories, showing ${minOf(s)}`);
    this.cachedMeta = { initialised: this.lists.size > 0, settings: this.settings, names: { ...this.names }, purgedIds, issues: issues.sort() };
    return this.cachedMeta;
  }

  /** The board's settings (merged, validated). */
  get currentSettings(): Settings {
    return this.settings;
  }

  /** The live view of one story. */
  story(id: string): StoryView | undefined {
    return this.views.get(id);
  }

  /**
   * What a later open needs to skip reading every story (kept with the
   * snapshot, CORE16): the stories as read, in order. Undefined unless every
   * applied op is folded in.
   */
  cache(): CachedBoard | undefined {
    if (!this.current()) return undefined;
    return { format: BOARD_CACHE_FORMAT, upTo: this.folded, raws: [...this.raws.values()] };
  }

  /** StoryLookup: fresh when every applied op has been folded in. */
  current(): boolean {
    return this.folded === this.doc.opCount;
  }

  /** StoryLookup: the winning element of a story id. */
  winner(storyId: string): { list: ObjId; elem: ObjId } | undefined {
    const w = this.winners.get(storyId);
    return w === undefined ? undefined : { list: w.list, elem: w.elem };
  }

  /** StoryLookup: the greatest rank in a column (columns are sorted by rank, then id). */
  lastRank(stage: Stage, except?: ObjId): string | undefined {
    const col = this.columns[stage].sorted;
    for (let i = col.length - 1; i >= 0; i--) if (col[i]!.elem !== except) return col[i]!.rank;
    return undefined;
  }

  /**
   * Folds in ops just applied to the document (in apply order) and returns the
   * batch's transition events; each event's author is the author of the last
   * op in the batch that touched the story (or the dependency that changed it).
   * `note`, when given, hears which story each op touched (op k of `applied`;
   * repeats possible): the replica's history index (REPL10) costs no lookup
   * of its own.
   */
  update(applied: readonly Op[], at: number, note?: (k: number, story: ObjId) => void): BoardEvent[] {
    this.folded += applied.length;
    const touched = new Map<ObjId, string>();
    let root = false;
    const state = this.doc.state;
    // The story a container belongs to, looked up once per container per batch:
    // a story's creation names its map in most of its ~30 actions, an edit in all.
    const storyOf = new Map<ObjId, ObjId | undefined>();
    let lastObj: ObjId | undefined;
    let lastStory: ObjId | undefined;
    for (let k = 0; k < applied.length; k++) {
      const op = applied[k]!;
      for (let i = 0; i < op.actions.length; i++) {
        const a = op.actions[i]!;
        // A container made by this action belongs to the story its parent
        // belongs to (layout.ts: a story is a map in a stories list, and
        // everything under it is its): recorded here, so the containers a
        // story's creation makes need no walk up the parents (`locate`).
        const makes = a.type !== 'del' && isMake(a.value);
        if (a.obj === lastObj && lastStory !== undefined) {
          touched.set(lastStory, op.author);
          note?.(k, lastStory);
          if (makes) storyOf.set(actionObjId(op.id, i), lastStory);
          continue;
        }
        if (a.obj === ROOT) {
          root = true;
          if (a.type === 'set' && isMake(a.value)) (a.value.make === 'list' ? this.lists : this.maps).add(actionObjId(op.id, i));
        } else if (this.lists.has(a.obj)) {
          if (a.type === 'ins') {
            // Only a map in a stories list is a story, as the constructor reads
            // them (a list there once showed as a bad story here only, PIPE20).
            const elem = actionObjId(op.id, i);
            const story = makes && a.value.make === 'map' ? elem : undefined;
            if (story !== undefined) { touched.set(story, op.author); note?.(k, story); }
            if (makes) storyOf.set(elem, story);
          } else if (a.type === 'del') { touched.set(a.elem, op.author); note?.(k, a.elem); }
        } else if (this.maps.has(a.obj)) {
          root = true;
        } else {
          let story: ObjId | undefined;
          if (this.raws.has(a.obj)) story = a.obj;
          else if (storyOf.has(a.obj)) story = storyOf.get(a.obj);
          else { story = locate(state, a.obj)?.story; storyOf.set(a.obj, story); }
          lastObj = a.obj;
          lastStory = story;
          if (story !== undefined) { touched.set(story, op.author); note?.(k, story); }
          if (makes) storyOf.set(actionObjId(op.id, i), story);
        }
      }
    }
    if (root) this.readRoot();
    if (touched.size === 0) { if (root) this.cached = undefined; return []; }
    const causes = new Map<string, Cause>();
    for (const [elem, author] of touched) {
      const before = this.raws.get(elem)?.fields?.id;
      const after = this.reread(elem)?.fields?.id;
      if (before === undefined && after === undefined) continue;
      const cause = { author, at };
      if (before !== undefined) causes.set(before, cause);
      if (after !== undefined) causes.set(after, cause);
    }
    return this.recompute(causes);
  }

  /** Re-reads one story element into `raws` and the id indexes. */
  private reread(elem: ObjId): RawStory | undefined {
    const state = this.doc.state;
    const c = state.header(elem);
    if (c === undefined || c.parent === null || state.header(c.parent)?.kind !== 'list') return undefined;
    return this.read(c.parent, elem, state.containers.elementDeleted(c.parent, elem) ?? false);
  }

  /** Reads story element `elem` of stories list `list` into `raws` and the id indexes. */
  private read(list: ObjId, elem: ObjId, deleted: boolean): RawStory {
    return this.store(readStory(this.doc.state, list, elem, deleted));
  }

  /** Puts a story as read into `raws` and the id indexes. */
  private store(raw: RawStory): RawStory {
    const elem = raw.elem;
    const old = this.raws.get(elem);
    const ids = [old?.fields?.id, raw.fields?.id];
    const before = this.cachedMeta && ids.map((id) => this.metaKey(id));
    if (old?.fields) remove(old.deleted ? this.deadById : this.liveById, old.fields.id, elem);
    this.raws.set(elem, raw);
    if (raw.fields) add(raw.deleted ? this.deadById : this.liveById, raw.fields.id, elem);
    // meta() shows elements without a valid id, purged ids and duplicates: drop it when one of those changed.
    if (before && ((old !== undefined && old.fields === undefined) || raw.fields === undefined || ids.some((id, i) => this.metaKey(id) !== before[i]))) this.cachedMeta = undefined;
    return raw;
  }

  /** What meta() shows about one story id: purged or not, and its duplicates. */
  private metaKey(id: string | undefined): string {
    if (id === undefined) return '';
    const live = this.liveById.get(id);
    if (live === undefined) return this.deadById.has(id) ? 'purged' : '';
    return live.size > 1 ? `${live.size} ${minOf(live)}` : '';
  }

  private recompute(causes: Map<string, Cause>): BoardEvent[] {
    const events: BoardEvent[] = [];
    /** Stories whose dependencies changed (their edges in the dependency graph). */
    const edges: string[] = [];
    const statusChanged: string[] = [];
    for (const id of causes.keys()) {
      const old = this.winners.get(id)?.fields;
      const winElem = minOf(this.liveById.get(id));
      const w = winElem === undefined ? undefined : this.raws.get(winElem)!;
      if (w) this.winners.set(id, w); else this.winners.delete(id);
      const now = w?.fields;
      const oldDeps = old?.dependsOn ?? [];
      const newDeps = now?.dependsOn ?? [];
      if (oldDeps.length !== newDeps.length || oldDeps.some((d, i) => d !== newDeps[i])) {
        edges.push(id);
        for (const d of oldDeps) remove(this.dependents, d, id);
        for (const d of newDeps) add(this.dependents, d, id);
      }
      if (old?.stage !== now?.stage || old?.archiveReason !== now?.archiveReason || old?.title !== now?.title || !old !== !now) statusChanged.push(id);
    }
    const redo = new Map(causes);
    const spread = (id: string, cause: Cause) => { for (const d of this.dependents.get(id) ?? []) if (!redo.has(d)) redo.set(d, cause); };
    for (const id of statusChanged) spread(id, causes.get(id)!);
    if (edges.length > 0) {
      // A cycle that is new or broken runs through a changed story, and every
      // other cycle's stories are in `comp`: walking from those finds every
      // cycle there is now, without a walk of the whole board per batch.
      const next = cycleComponents([...edges, ...this.comp.keys()], (id) => this.winners.get(id)?.fields!.dependsOn);
      const fallback = causes.values().next().value!;
      for (const id of new Set([...this.comp.keys(), ...next.keys()])) {
        if (this.comp.get(id) === next.get(id)) continue;
        if (!redo.has(id)) redo.set(id, fallback);
        spread(id, redo.get(id)!);
      }
      this.comp = next;
    }
    const bulk = redo.size > BULK_STORIES;
    for (const [id, cause] of redo) {
      const before = this.views.get(id);
      const after = this.build(id);
      if (before) this.columns[before.stage].drop(before, bulk);
      if (after) { this.views.set(id, after); this.columns[after.stage].put(after, bulk); } else this.views.delete(id);
      diffStory(before, after, !this.liveById.has(id) && this.deadById.has(id), cause, events);
    }
    this.cached = undefined;
    return events;
  }

  private build(id: string): StoryView | undefined {
    const w = this.winners.get(id);
    if (!w || !w.fields) return undefined;
    const f = w.fields;
    const deps = f.dependsOn.length === 0 ? [] : f.dependsOn.map((d) => depView(id, d, this.comp, (x) => this.winners.get(x)?.fields, (x) => this.deadById.has(x)));
    const dup = this.liveById.get(id)!.size;
    const issues = dup > 1 ? [...w.issues, `duplicate id: ${dup - 1} other stories share it and are hidden`] : w.issues;
    // One literal, keys in the order a spread of the fields would give (the cached board's JSON depends on it):
    // built once per changed story, a spread of 18 keys costs more than the story's read.
    return {
      id: f.id, kind: f.kind, title: f.title, description: f.description, stage: f.stage, assignee: f.assignee,
      blocked: f.blocked, blockedReason: f.blockedReason, retries: f.retries, archiveReason: f.archiveReason, rank: f.rank,
      createdBy: f.createdBy, createdAt: f.createdAt, updatedBy: f.updatedBy, updatedAt: f.updatedAt, doneAt: f.doneAt,
      criteria: f.criteria, dependsOn: f.dependsOn,
      elem: w.elem, list: w.list, ready: isReady(f.stage, deps), deps, issues,
    };
  }

  /** Settings and names, merged over every map under the root (PIPE3, PIPE15): per key, the newest valid write. */
  private readRoot(): void {
    const best = new Map<string, { value: unknown; stamp: Stamp }>();
    for (const m of this.maps) {
      const c = this.doc.state.containers.get(m);
      if (c === undefined || c.kind !== 'map') continue;
      for (const [k, reg] of c.map.fields) {
        const check = SETTING_FIELDS[k];
        const ok = check ? check(reg.value) === undefined
          : isAuthorHex(k) && (reg.value === null || (typeof reg.value === 'string' && reg.value.length <= SCHEMA_LIMITS.nameChars));
        if (!ok) continue;
        const cur = best.get(k);
        if (!cur || compareStamps(cur.stamp, reg.stamp) < 0) best.set(k, { value: reg.value, stamp: reg.stamp });
      }
    }
    const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    const names: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, { value }] of best) {
      if (k in SETTING_FIELDS) settings[k] = value;
      else if (typeof value === 'string') names[k] = value;
    }
    this.settings = settings as unknown as Settings;
    this.names = names;
    this.cachedMeta = undefined;
  }
}
