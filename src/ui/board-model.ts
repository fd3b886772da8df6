// The UI's plain-data model of the board (docs/SPEC.md UI3, UI4, UI6):
// applying worker patches to a Map of stories, deriving sorted columns, the
// rank of a drop or keyboard move, and the search filter. No runes and no
// CRDT here — only the StoryView snapshots the worker sends.
import type { SyncStatus } from './replica-client.js';
import { STAGES, rankBetween, type BoardPatch, type Stage, type StoryView } from './replica-client.js';

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

export interface Applied {
  readonly stories: Map<string, StoryView>;
  readonly columns: Columns;
}

/**
 * Folds a patch into the board (UI3). A full patch replaces everything; an
 * incremental one re-sorts only the columns it touched, so one move on a
 * 10,000-story board costs a copy of the Map and one column sort.
 */
export function applyPatch(prev: Applied, patch: BoardPatch): Applied {
  if (patch.full) {
    const stories = new Map<string, StoryView>();
    for (const s of patch.upserts) stories.set(s.id, s);
    return { stories, columns: groupByStage(stories.values()) };
  }
  const stories = new Map(prev.stories);
  const touched = new Set<Stage>();
  for (const id of patch.removed) {
    const old = stories.get(id);
    if (old) { touched.add(old.stage); stories.delete(id); }
  }
  for (const s of patch.upserts) {
    const old = stories.get(s.id);
    if (old) touched.add(old.stage);
    touched.add(s.stage);
    stories.set(s.id, s);
  }
  if (touched.size === 0) return { stories, columns: prev.columns };
  const changed = new Set([...patch.removed, ...patch.upserts.map((s) => s.id)]);
  const columns: Record<Stage, readonly StoryView[]> = { ...prev.columns };
  for (const stage of touched) {
    const kept = prev.columns[stage].filter((s) => !changed.has(s.id));
    for (const s of patch.upserts) if (s.stage === stage) kept.push(s);
    columns[stage] = kept.sort(compareStories);
  }
  return { stories, columns };
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
  const text = f.text.trim().toLowerCase();
  if (text !== '' && !haystack(s).includes(text)) return false;
  if (f.kind !== '' && s.kind !== f.kind) return false;
  if (f.assignee !== '' && (s.assignee ?? '') !== f.assignee) return false;
  if (f.blocked && !s.blocked) return false;
  if (f.ready && !s.ready) return false;
  return true;
}

export function filterColumns(columns: Columns, f: Filter): Columns {
  if (!filterActive(f)) return columns;
  const out = emptyColumns() as Record<Stage, readonly StoryView[]>;
  for (const stage of STAGES) out[stage] = columns[stage].filter((s) => matches(s, f));
  return out;
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
