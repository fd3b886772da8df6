// The board-view cache (REPL15): the first screen of the board — the top
// FIRST_SCREEN stories of every column, the board's settings and names, and
// each column's size — stored beside the snapshot so that a cold open can
// paint the board while the worker still restores the document; and the
// whole board as a Blob of JSON, which the page reads and parses itself
// while the worker restores, so that the worker then sends only what changed
// since (the first screen stays separate: reading and parsing the whole
// 10 MB view of 10,000 stories takes longer than painting it). Like the snapshot it is
// derived and never trusted over the log: it names the log record it
// covers up to (`upTo`, `lastId`), carries a version and a checksum, and is
// used only when it is intact and its `lastId` is in the log at most
// VIEW_TAIL_MAX records from the end (the log is append-only, so that pins
// the records it covers). Anything else is refused
// with a reason, and the page waits for the worker's own full patch, which
// always follows and replaces the cached one.
import { STAGES, type BoardMeta, type BoardView, type Stage, type StoryView } from '../pipeline/index.js';
import type { MetaStore, OpStore } from '../storage/op-store.js';

/** The MetaStore key of the cached board view. */
export const VIEW_CACHE_KEY = 'boardView';

/** Bumped whenever the shape of a board patch or of this record changes: older caches are then refused. */
export const VIEW_CACHE_VERSION = 1;

/**
 * Stories of each column in the cached first screen: more than a tall
 * window shows (~12 cards) and as many as the page renders of a column
 * before paging (UI14), since rendering cards is most of the paint (250
 * cards: 150–400 ms on the loaded test machine).
 */
export const FIRST_SCREEN = 20;

/** What the cache holds: a full patch of the first screen, and the true size of every column. */
export interface FirstScreen {
  readonly full: true;
  /** The top FIRST_SCREEN stories of every column, in column order. */
  readonly upserts: StoryView[];
  readonly removed: string[];
  readonly meta: BoardMeta;
  readonly totals: Readonly<Record<Stage, number>>;
}

/** The first screen of a board view. */
export function firstScreen(view: BoardView, meta: BoardMeta): FirstScreen {
  const upserts: StoryView[] = [];
  const totals = {} as Record<Stage, number>;
  for (const stage of STAGES) {
    const column = view.byStage[stage];
    totals[stage] = column.length;
    for (let i = 0; i < column.length && i < FIRST_SCREEN; i++) upserts.push(column[i]!);
  }
  return { full: true, upserts, removed: [], meta, totals };
}

/** The stored record. */
export interface StoredBoardView {
  readonly version: number;
  /** Log records `[0, upTo)` are exactly the ops the view was derived from. */
  readonly upTo: number;
  /** Id of record `upTo − 1` (null when upTo is 0). */
  readonly lastId: string | null;
  /** The first screen (`FirstScreen`) as JSON. */
  readonly json: string;
  /** FNV-1a of `json`'s UTF-16 code units: catches a torn or damaged record. */
  readonly sum: number;
  /**
   * The whole board at `upTo` as the JSON of a full patch (`wholeBoardJson`):
   * a Blob, read by the page (a string where there is no Blob). Absent in
   * records of older builds. The worker checks it against its own view after
   * the open (REPL15), so it carries no checksum of its own.
   */
  readonly board?: Blob | string;
}

export type CachedView =
  | { readonly ok: true; readonly json: string; readonly upTo: number; readonly board: Blob | string | undefined; readonly ms: { readonly read: number; readonly check: number } }
  | { readonly ok: false; readonly reason: string };

/** FNV-1a (32-bit) over a string's UTF-16 code units. */
export function viewChecksum(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The record for a view derived from log records `[0, upTo)`, with the whole board when given. */
export function viewRecord(json: string, upTo: number, lastId: string | null, board?: Blob | string): StoredBoardView {
  return { version: VIEW_CACHE_VERSION, upTo, lastId, json, sum: viewChecksum(json), ...(board === undefined ? {} : { board }) };
}

/**
 * Most log records after the cached view's that still let a page show it
 * (REPL15): fewer than the snapshot keeper's write threshold (1,000 records),
 * so the worker folds them from the snapshot's tail and can tell what they changed.
 */
export const VIEW_TAIL_MAX = 500;

/** Stories per part of `wholeBoardJson`: ~250 KB of JSON, ~5 ms to serialise (a keypress waits at most that long). */
export const WHOLE_BOARD_PART = 250;

/**
 * The whole board as the JSON of a full patch (reflecting none of a page's
 * commands), in parts whose concatenation is the JSON: a caller can
 * serialise one part per task. Deterministic: the same view gives the same text.
 */
export function* wholeBoardJson(view: BoardView, meta: BoardMeta): Generator<string> {
  const head = '{"full":true,"upserts":[';
  const tail = `],"removed":[],"meta":${JSON.stringify(meta)},"commands":0}`;
  const stories = view.stories;
  if (stories.length === 0) { yield head + tail; return; }
  for (let i = 0; i < stories.length; i += WHOLE_BOARD_PART) {
    const part = stories.slice(i, i + WHOLE_BOARD_PART).map((st) => JSON.stringify(st)).join(',');
    const last = i + WHOLE_BOARD_PART >= stories.length;
    yield `${i === 0 ? head : ','}${part}${last ? tail : ''}`;
  }
}

function isStoredBoardView(x: unknown): x is StoredBoardView {
  if (typeof x !== 'object' || x === null) return false;
  const v = x as Partial<StoredBoardView>;
  return typeof v.version === 'number' && Number.isSafeInteger(v.upTo) && v.upTo! >= 0
    && (v.lastId === null || typeof v.lastId === 'string') && typeof v.json === 'string' && typeof v.sum === 'number'
    && (v.board === undefined || typeof v.board === 'string' || (typeof Blob === 'function' && v.board instanceof Blob));
}

/**
 * Reads the cached view and checks it against the log (REPL15): the right
 * version, an intact checksum, and a log that holds its `lastId` with at
 * most VIEW_TAIL_MAX records after it. Never throws: a refusal carries its reason.
 */
export async function readViewCache(store: OpStore, meta: MetaStore, now: () => number = () => 0): Promise<CachedView> {
  try {
    const t0 = now();
    const raw = await meta.get(VIEW_CACHE_KEY);
    const t1 = now();
    if (raw === undefined || raw === null) return { ok: false, reason: 'none stored' };
    if (!isStoredBoardView(raw)) return { ok: false, reason: 'the stored record has the wrong shape' };
    if (raw.version !== VIEW_CACHE_VERSION) return { ok: false, reason: `view cache version ${raw.version}, this build reads ${VIEW_CACHE_VERSION}` };
    if ((raw.lastId === null) !== (raw.upTo === 0)) return { ok: false, reason: 'the stored record has the wrong shape' };
    if (raw.lastId === null) return { ok: false, reason: 'it covers an empty log' };
    // The log is append-only, so "its last record is `lastId`" pins it to the
    // records the view covers. (No count(): IndexedDB counts by walking every key.)
    const after = await store.loadAfter(raw.lastId);
    if (after === undefined) return { ok: false, reason: 'it does not match the log (its last record is not in this log)' };
    // A few records after it (the last edits before a close, made within the
    // keeper's quiet spell) leave it usable: the worker sends what they changed.
    if (after.length > VIEW_TAIL_MAX) return { ok: false, reason: `the log has changed since it was written (${after.length} records after it)` };
    // Checked last: the cheapest refusals above need no pass over 10 MB.
    if (viewChecksum(raw.json) !== raw.sum) return { ok: false, reason: 'checksum mismatch (damaged or truncated)' };
    return { ok: true, json: raw.json, upTo: raw.upTo, board: raw.board, ms: { read: t1 - t0, check: now() - t1 } };
  } catch (e) {
    return { ok: false, reason: `could not read it: ${e instanceof Error ? e.message : String(e)}` };
  }
}
