// The UI's plain-data model of the board (docs/SPEC.md UI3, UI4, UI6):
// folding worker patches into a Map of stories and sorted columns, the
// rank of a drop or keyboard move, and the search filter. No runes and no
// CRDT here — only the StoryView snapshots the worker sends.
import type { SessionRow, SyncStatus } from './replica-client.js';
import { progressPercent } from '../sync/sync-session.js';
import { STAGES, isReady, rankBetween, type BoardPatch, type Stage, type StoryView } from './replica-client.js';

export type Columns = Readonly<Record<Stage, readonly StoryView[]>>;

export function emptyColumns(): Columns {
  return { backlog: [], current: [], qa: [], merge: [], done: [], archived: [] };
}

/** Column order (UI3): rank, then story id, then element id — the worker's rule (PIPE5). */
export function compareStories(x: StoryView, y: StoryView): number {
  if (x.rank !== y.rank) return x.rank < y.rank ? -1 : 1;
  if (x.id !== y.id) return x.id < y.id ? -1 : 1;
  return x.elem < y.elem ? -1 : x.elem > y.elem ? 1 : 0;
}

/**
 * The page's copy of the board (UI3), folded from worker patches. A patch
 * costs what it carries, not what the board holds: the Map is updated in
 * place, and only the columns a patch touches get new arrays (a story is
 * taken out and put back by binary search, never by re-sorting the column),
 * so untouched columns keep their identity and their cards are not
 * re-rendered. The assignee list is kept from counts, for the filter.
 */
export class BoardMirror {
  readonly stories = new Map<string, StoryView>();
  columns: Columns = emptyColumns();
  /** Every assignee of a live story, sorted; a new array only when the set changes. */
  assignees: readonly string[] = [];
  private readonly assigneeCounts = new Map<string, number>();

  /** Views shown ahead of the worker (UI17), by story id. */
  private readonly predictions = new Map<string, Prediction>();

  /**
   * Shows `view` at once, ahead of the worker (UI17), for the page's command
   * number `seq`. It stays shown until a worker patch reflects that command
   * (then the worker's view shows, whatever it says) or `settle` says the
   * command changed nothing. Returns null (and shows nothing) for a story
   * the mirror does not hold.
   */
  predict(view: StoryView, seq: number): { prediction: Prediction; touched: Set<Stage> } | null {
    const current = this.stories.get(view.id);
    if (!current) return null;
    // A prediction on top of a prediction covers the same worker view.
    const prediction: Prediction = { view, seq, covers: this.predictions.get(view.id)?.covers ?? current };
    this.predictions.set(view.id, prediction);
    return { prediction, touched: this.fold({ full: false, upserts: [view], removed: [], commands: 0 }) };
  }

  /**
   * The command behind `p` has answered. When it changed nothing (refused,
   * or already so), the worker's view comes back; when it applied an op, the
   * patch that shows it settles the prediction. Returns the stages that changed.
   */
  settle(p: Prediction, changed: boolean): Set<Stage> {
    if (changed || this.predictions.get(p.view.id) !== p) return new Set();
    this.predictions.delete(p.view.id);
    return this.fold(p.covers ? { full: false, upserts: [p.covers], removed: [], commands: 0 } : { full: false, upserts: [], removed: [p.view.id], commands: 0 });
  }

  /**
   * Folds a worker patch in; returns the stages whose columns changed. A
   * story with a prediction the patch does not reflect yet keeps showing
   * the prediction (the patch updates the worker view it covers); a
   * prediction the patch reflects gives way to the worker's view.
   */
  apply(patch: BoardPatch): Set<Stage> {
    if (this.predictions.size === 0) return this.fold(patch);
    if (patch.full) return this.fold(this.keepPredictions(patch));
    const upserts: StoryView[] = [];
    const removed: string[] = [];
    for (const s of patch.upserts) {
      const p = this.predictions.get(s.id);
      if (p && p.seq > patch.commands) p.covers = s; else upserts.push(s);
    }
    for (const id of patch.removed) {
      const p = this.predictions.get(id);
      if (p && p.seq > patch.commands) p.covers = null; else removed.push(id);
    }
    for (const [id, p] of this.predictions) {
      if (p.seq > patch.commands) continue;
      this.predictions.delete(id);
      // Not carried by this patch: what it covers is the worker's latest view.
      if (!upserts.some((s) => s.id === id) && !removed.includes(id)) {
        if (p.covers) upserts.push(p.covers); else removed.push(id);
      }
    }
    return this.fold({ ...patch, upserts, removed });
  }

  /** A full patch with the predictions it does not reflect yet still shown (the rest are settled). */
  private keepPredictions(patch: BoardPatch): BoardPatch {
    const byId = new Map(patch.upserts.map((s) => [s.id, s]));
    for (const [id, p] of this.predictions) {
      if (p.seq > patch.commands) { p.covers = byId.get(id) ?? null; byId.set(id, p.view); } else this.predictions.delete(id);
    }
    return { ...patch, upserts: [...byId.values()] };
  }

  private fold(patch: BoardPatch): Set<Stage> {
    const touched = new Set<Stage>();
    const assigneesBefore = this.assigneeCounts.size;
    let assigneesChanged = false;
    if (patch.full) {
      this.stories.clear();
      this.assigneeCounts.clear();
      for (const s of patch.upserts) { this.stories.set(s.id, s); this.count(s, 1); }
      this.columns = groupByStage(this.stories.values());
      for (const stage of STAGES) touched.add(stage);
      this.assignees = [...this.assigneeCounts.keys()].sort();
      return touched;
    }
    const columns: Record<Stage, readonly StoryView[]> = { ...this.columns };
    const take = (old: StoryView) => {
      const col = columns[old.stage] === this.columns[old.stage] ? columns[old.stage].slice() : columns[old.stage] as StoryView[];
      const i = indexOf(col, old);
      if (i >= 0) col.splice(i, 1);
      columns[old.stage] = col;
      touched.add(old.stage);
      if (this.count(old, -1)) assigneesChanged = true;
    };
    for (const id of patch.removed) {
      const old = this.stories.get(id);
      if (old) { take(old); this.stories.delete(id); }
    }
    for (const s of patch.upserts) {
      const old = this.stories.get(s.id);
      if (old) take(old);
      const col = columns[s.stage] === this.columns[s.stage] ? columns[s.stage].slice() : columns[s.stage] as StoryView[];
      col.splice(insertionPoint(col, s), 0, s);
      columns[s.stage] = col;
      touched.add(s.stage);
      this.stories.set(s.id, s);
      if (this.count(s, 1)) assigneesChanged = true;
    }
    if (touched.size > 0) this.columns = columns;
    if (assigneesChanged || this.assigneeCounts.size !== assigneesBefore) this.assignees = [...this.assigneeCounts.keys()].sort();
    return touched;
  }

  /** Counts a story's assignee in or out; true when the set of assignees changed. */
  private count(s: StoryView, delta: 1 | -1): boolean {
    if (!s.assignee) return false;
    const n = (this.assigneeCounts.get(s.assignee) ?? 0) + delta;
    if (n <= 0) this.assigneeCounts.delete(s.assignee); else this.assigneeCounts.set(s.assignee, n);
    return n === 0 || (n === 1 && delta === 1);
  }
}

/** A view shown ahead of the worker (UI17): the page's command number, and the worker's latest view of the story (null: removed). */
export interface Prediction {
  readonly view: StoryView;
  readonly seq: number;
  covers: StoryView | null;
}

/** What a move shows until the worker's patch arrives (UI17): the story in `stage` at `rank`, its readiness (PIPE18) re-derived. */
export function predictMove(story: StoryView, stage: Stage, rank: string): StoryView {
  return { ...story, stage, rank, ready: isReady(stage, story.deps) };
}

/** Where `s` goes in a sorted column (after any equal ones). */
function insertionPoint(col: readonly StoryView[], s: StoryView): number {
  let lo = 0, hi = col.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (compareStories(col[mid]!, s) <= 0) lo = mid + 1; else hi = mid; }
  return lo;
}

/** The index of this very snapshot in a sorted column, or -1. */
function indexOf(col: readonly StoryView[], s: StoryView): number {
  let lo = 0, hi = col.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (compareStories(col[mid]!, s) < 0) lo = mid + 1; else hi = mid; }
  for (let i = lo; i < col.length && compareStories(col[i]!, s) === 0; i++) if (col[i] === s) return i;
  // Not where its order says (cannot happen while columns stay sorted): fall back to a scan.
  return col.indexOf(s);
}

export function groupByStage(stories: Iterable<StoryView>): Columns {
  const out: Record<Stage, StoryView[]> = { backlog: [], current: [], qa: [], merge: [], done: [], archived: [] };
  for (const s of stories) out[s.stage]?.push(s);
  for (const stage of STAGES) out[stage].sort(compareStories);
  return out;
}

const RANK = /^[0-9A-Za-z]+$/;
const validRank = (r: string | undefined): r is string => r !== undefined && RANK.test(r) && !r.endsWith('0');

/**
 * The rank that puts a story at `position` of `column` once the story itself
 * is taken out (UI4). Neighbours with equal ranks (concurrent moves) leave no
 * room between them, so the previous neighbour steps back to the first one
 * with a smaller rank; neighbours with unreadable ranks are skipped.
 */
export function rankAt(column: readonly StoryView[], storyId: string, position: number): string {
  const list = column.filter((s) => s.id !== storyId);
  const pos = Math.max(0, Math.min(position, list.length));
  let n = pos;
  while (n < list.length && !validRank(list[n]!.rank)) n++;
  const next = list[n]?.rank;
  let p = pos - 1;
  while (p >= 0 && (!validRank(list[p]!.rank) || (next !== undefined && list[p]!.rank >= next))) p--;
  return rankBetween(p >= 0 ? list[p]!.rank : undefined, next);
}

/** Position in `column` (without `storyId`) of the card `beforeId`, or the end. */
export function positionBefore(column: readonly StoryView[], storyId: string, beforeId: string | null): number {
  const list = column.filter((s) => s.id !== storyId);
  if (beforeId === null) return list.length;
  const i = list.findIndex((s) => s.id === beforeId);
  return i === -1 ? list.length : i;
}

export interface Filter {
  readonly text: string;
  readonly kind: string;
  readonly assignee: string;
  readonly blocked: boolean;
  readonly ready: boolean;
}

export const NO_FILTER: Filter = { text: '', kind: '', assignee: '', blocked: false, ready: false };

export function filterActive(f: Filter): boolean {
  return f.text.trim() !== '' || f.kind !== '' || f.assignee !== '' || f.blocked || f.ready;
}

// Lower-cased search text per snapshot; a snapshot never changes, so a WeakMap is a safe cache.
const haystacks = new WeakMap<StoryView, string>();
function haystack(s: StoryView): string {
  let h = haystacks.get(s);
  if (h === undefined) { h = `${s.id}\n${s.title}\n${s.description}`.toLowerCase(); haystacks.set(s, h); }
  return h;
}

/** Search (title, id, description) and filters (UI10). */
export function matches(s: StoryView, f: Filter): boolean {
  return matcher(f)(s);
}

/** The filter as a predicate, its text normalised once rather than per story. */
export function matcher(f: Filter): (s: StoryView) => boolean {
  const text = f.text.trim().toLowerCase();
  const { kind, assignee, blocked, ready } = f;
  return (s) => {
    if (kind !== '' && s.kind !== kind) return false;
    if (assignee !== '' && (s.assignee ?? '') !== assignee) return false;
    if (blocked && !s.blocked) return false;
    if (ready && !s.ready) return false;
    return text === '' || haystack(s).includes(text);
  };
}

export function filterColumns(columns: Columns, f: Filter): Columns {
  if (!filterActive(f)) return columns;
  const test = matcher(f);
  const out = emptyColumns() as Record<Stage, readonly StoryView[]>;
  for (const stage of STAGES) out[stage] = columns[stage].filter(test);
  return out;
}

/** True when every story matching `next` also matches `prev` (the search text grew, nothing else changed). */
function narrows(prev: Filter, next: Filter): boolean {
  return prev.kind === next.kind && prev.assignee === next.assignee && prev.blocked === next.blocked && prev.ready === next.ready &&
    next.text.trim().toLowerCase().includes(prev.text.trim().toLowerCase());
}

/**
 * filterColumns with memory (UI10): a column whose array did not change keeps
 * its filtered array, and a search that only grew filters the previous
 * matches instead of the whole column. So a move while searching re-filters
 * the two columns it touched, and a keystroke in the search box looks at
 * fewer stories as the text gets longer.
 */
export class ColumnFilter {
  private input: Columns | undefined;
  private filter: Filter | undefined;
  private output: Columns | undefined;

  apply(columns: Columns, f: Filter): Columns {
    const prevIn = this.input, prevF = this.filter, prevOut = this.output;
    this.input = columns;
    this.filter = f;
    if (!filterActive(f)) return (this.output = columns);
    const same = prevF !== undefined && prevOut !== undefined && prevIn !== undefined && (prevF === f || JSON.stringify(prevF) === JSON.stringify(f));
    const narrower = !same && prevF !== undefined && prevOut !== undefined && prevIn !== undefined && filterActive(prevF) && narrows(prevF, f);
    const test = matcher(f);
    const out = emptyColumns() as Record<Stage, readonly StoryView[]>;
    for (const stage of STAGES) {
      const unchanged = prevIn !== undefined && columns[stage] === prevIn[stage];
      if (same && unchanged) out[stage] = prevOut![stage];
      else if (narrower && unchanged) out[stage] = prevOut![stage].filter(test);
      else out[stage] = columns[stage].filter(test);
    }
    return (this.output = out);
  }
}

/** The stage before or after `stage` in board order, or undefined at either end. */
export function neighbourStage(stage: Stage, step: -1 | 1): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + step];
}

/** A name for an author: display name, else the first 8 hex digits of the key. */
export function authorName(names: Readonly<Record<string, string>>, author: string): string {
  return names[author] ?? author.slice(0, 8);
}

/** The relay's state in words for the peers panel and header (UI13, RTC11, RTC12). */
export function relayText(sync: SyncStatus | null): string {
  const relay = sync?.relay;
  if (!relay) return 'No relay: syncing with other tabs of this browser only.';
  if (relay.wrongSecret) return 'Wrong room secret: peers in this room cannot read our messages (check the link).';
  if (relay.unreachable) return `Relay unreachable after ${relay.failures} attempts — still retrying; tabs keep syncing.`;
  if (relay.relayError) return `Relay error: ${relay.relayError}`;
  if (sync && !sync.online) return 'Offline: peers reconnect when the network is back.';
  return `Relay ${relay.status}`;
}

/** A catch-up in progress, over every session still syncing (UI18, SYNC16). */
export interface SyncProgress {
  readonly received: number;
  readonly expected: number;
  /** 0–100, whole percent. */
  readonly percent: number;
  /** The peers it comes from, by display name (else the first 8 characters of their id). */
  readonly from: readonly string[];
}

/**
 * The header shows a catch-up from this many ops on (UI18): a reconnect's
 * handful of ops is done before a pill could be read, and would only flash.
 */
export const SYNC_PILL_MIN_OPS = 100;

/** The catch-up in progress, or null when no session is syncing a catch-up it announced (of at least `minOps` in all). */
export function syncProgress(sessions: readonly SessionRow[] | undefined, minOps = 1): SyncProgress | null {
  let received = 0;
  let expected = 0;
  const from: string[] = [];
  for (const s of sessions ?? []) {
    if (s.state !== 'syncing' || s.expected <= 0) continue;
    // Forks beyond the announced vector (SYNC5) may bring more than announced: never past 100 %.
    received += Math.min(s.received, s.expected);
    expected += s.expected;
    from.push(s.name || s.id.slice(0, 8));
  }
  if (expected === 0 || expected < minOps) return null;
  return { received, expected, percent: progressPercent(received, expected), from };
}

/** The catch-up in words for the header's tooltip and the peers panel (UI18). */
export function syncProgressText(p: SyncProgress): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `Receiving ${n(p.received)} of ${n(p.expected)} changes from ${p.from.join(', ')} (${p.percent}%)`;
}
