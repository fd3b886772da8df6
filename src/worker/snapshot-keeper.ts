// The replica's derived snapshot (REPL12, STORE13, CORE16): where it lives,
// what it covers, when it is written, and how an open uses it.
//
// The op log stays the only source of truth. The snapshot is a cache of the
// Document after the first `upTo` records of the log (insertion order), kept
// in the same database under the MetaStore key `snapshot`. It is written only
// for ops the Persister has durably written, and only when this replica's
// apply order is known to equal the store's insertion order up to there
// (another tab writing at the same time can interleave records; then this
// session writes none, and the next open re-aligns). An open reads it and
// replays only the records after `upTo`; a snapshot that is missing, of
// another version, damaged, or that does not match the log (its last covered
// record's id) is ignored with a reason, and the whole log is replayed.
import { encodeSnapshot, restoreSnapshot, type Document, type DocumentOptions, type Op } from '../core/index.js';
import type { MetaStore, OpStore, StoredOp } from '../storage/op-store.js';
import type { Schedule } from './persister.js';
import { nextTask } from './schedule.js';
import { VIEW_CACHE_KEY, viewRecord } from './view-cache.js';

/** The MetaStore key of the snapshot. */
export const SNAPSHOT_KEY = 'snapshot';

/** The stored record: the snapshot bytes and what they cover. */
export interface StoredSnapshot {
  readonly upTo: number;
  /** Id of record `upTo − 1` (null when upTo is 0): ties the snapshot to this log. */
  readonly lastId: string | null;
  /**
   * The snapshot: stored as a Blob (read back in a third of the time of a
   * Uint8Array of the same 10 MB: Chromium reads it as a file, without
   * deserialising a large value); a Uint8Array is read too.
   */
  readonly bytes: Uint8Array | Blob;
  /** Wall-clock ms when written (for the debug dump only). */
  readonly writtenAt: number;
}

/** What the debug dump and the console show about the snapshot (REPL9, REPL12). */
export interface SnapshotStatus {
  /** How this session opened: from a snapshot plus the log's tail, or by replaying the whole log. */
  readonly openedFrom: 'snapshot' | 'log';
  /** Why a snapshot was not used (absent, version, damaged, does not match the log). */
  readonly ignored: string | null;
  /** Records the open took from the snapshot, and replayed from the log. */
  readonly restoredOps: number;
  readonly replayedOps: number;
  /** The open's phases in ms. */
  readonly openMs: Readonly<Record<string, number>>;
  /** Ops of the restored prefix held as metadata only; their bytes load in the background (sync, history and export wait for them). */
  readonly prefixPending: number;
  /** Log positions the history index has yet to cover (built in the background after the log is loaded, REPL10). */
  readonly historyPending: number;
  /** The snapshot stored now: ops it covers, its size, when it was written and how long encoding took. */
  readonly stored: { readonly upTo: number; readonly bytes: number; readonly writtenAt: number; readonly encodeMs: number } | null;
  /** Why snapshots are not being written, when they are not. */
  readonly writeBlocked: string | null;
}

export interface OpenedLog {
  readonly doc: Document;
  /** Records applied from the snapshot (0 without one). */
  readonly restored: number;
  /** Records read after the snapshot and replayed, with the ops they gave. */
  readonly tail: readonly StoredOp[];
  readonly applied: readonly Op[];
  /** What the snapshot's owner derived from its state (encodeSnapshot's `derived`); undefined without a snapshot. */
  readonly derived: unknown;
  /** Log positions [0, aligned) hold exactly the document's first `aligned` applied ops, in order. */
  readonly aligned: number;
  readonly ignored: string | null;
  readonly openMs: Record<string, number>;
  readonly stored: StoredSnapshot | null;
}

const decoder = typeof TextDecoder === 'undefined' ? undefined : new TextDecoder();
const decodeText = decoder ? (b: Uint8Array) => decoder.decode(b) : undefined;

function isStoredSnapshot(x: unknown): x is StoredSnapshot {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Partial<StoredSnapshot>;
  return Number.isSafeInteger(s.upTo) && s.upTo! >= 0 && (s.lastId === null || typeof s.lastId === 'string')
    && (s.bytes instanceof Uint8Array || (typeof Blob === 'function' && s.bytes instanceof Blob)) && typeof s.writtenAt === 'number';
}

/** A stored snapshot's size in bytes. */
function sizeOf(s: StoredSnapshot): number {
  return s.bytes instanceof Uint8Array ? s.bytes.length : s.bytes.size;
}

/**
 * Opens the log into a document: snapshot + tail when a sound snapshot is
 * stored, else the whole log (REPL1, REPL12). Never trusts the snapshot over
 * the log: it must decode, be of this version and match the log's record at
 * `upTo − 1`. `before` is awaited before anything is read.
 */
export async function openLog(store: OpStore, meta: MetaStore, makeDoc: () => Document, docOptions: DocumentOptions, now: () => number, before?: Promise<unknown>): Promise<OpenedLog> {
  const openMs: Record<string, number> = {};
  let t = now();
  const lap = (name: string) => { const n = now(); openMs[name] = n - t; t = n; };
  let ignored: string | null = null;
  let raw: unknown;
  // The cached board view goes first (REPL15): its reads are not queued
  // behind the snapshot's megabytes, and its answer is posted before restore
  // or replay hold this thread — the page paints while the document restores.
  if (before) { await before.catch(() => undefined); lap('viewFirst'); }
  let bytes: Uint8Array | undefined;
  let tailRead: Promise<StoredOp[] | undefined> | undefined;
  try {
    raw = await meta.get(SNAPSHOT_KEY);
    if (isStoredSnapshot(raw)) {
      // The tail is what the log holds after the snapshot's last record: read
      // while the snapshot is read and restored, not after.
      const lastId = raw.lastId;
      tailRead = lastId === null ? store.loadAll() : store.loadAfter(lastId);
      tailRead.catch(() => undefined); // awaited below, if the snapshot is used
      bytes = raw.bytes instanceof Uint8Array ? raw.bytes : new Uint8Array(await raw.bytes.arrayBuffer());
    }
  } catch (e) {
    ignored = `could not read it: ${e instanceof Error ? e.message : String(e)}`;
  }
  lap('readSnapshot');
  if (raw !== undefined && raw !== null && ignored === null) {
    if (!isStoredSnapshot(raw) || bytes === undefined) ignored = 'the stored record has the wrong shape';
    else {
      const restored = restoreSnapshot(bytes, { ...docOptions, ...(decodeText ? { decodeText } : {}) });
      lap('restore');
      if (!restored.ok) ignored = restored.reason;
      else if (restored.ops !== raw.upTo) ignored = `it holds ${restored.ops} ops but claims ${raw.upTo}`;
      else {
        // If the log has no record with the snapshot's last id, the snapshot is not of this log.
        const tail = await tailRead!;
        lap('readTail');
        if (tail === undefined || (raw.lastId === null) !== (raw.upTo === 0)) {
          ignored = (await store.count()) < raw.upTo ? 'the log is shorter than the snapshot' : 'it does not match the log (another log, or the log was replaced)';
        } else {
          const result = restored.doc.replay(tail);
          lap('replayTail');
          return { doc: restored.doc, restored: raw.upTo, tail, applied: result.applied, derived: restored.derived, aligned: raw.upTo + alignedPrefix(tail, result.applied), ignored: null, openMs, stored: raw };
        }
      }
    }
  } else if (ignored === null) ignored = 'none stored';
  const doc = makeDoc();
  t = now();
  const all = await store.loadAll();
  lap('readLog');
  const result = doc.replay(all);
  lap('replay');
  return { doc, restored: 0, tail: all, applied: result.applied, derived: undefined, aligned: alignedPrefix(all, result.applied), ignored, openMs, stored: null };
}

/** How many leading records were applied in their own order (replay normally applies every one, in order). */
function alignedPrefix(records: readonly StoredOp[], applied: readonly Op[]): number {
  let n = 0;
  while (n < records.length && n < applied.length && records[n]!.id === applied[n]!.id) n++;
  return n;
}

export interface SnapshotKeeperOptions {
  readonly store: OpStore;
  readonly meta: MetaStore;
  readonly doc: Document;
  readonly schedule: Schedule;
  readonly now: () => number;
  /** Ops the Persister has not written yet. */
  readonly pendingPersist: () => number;
  /** Write after this long without new ops… */
  readonly idleMs?: number;
  /** …when at least this many ops are not covered (or the open found no usable snapshot). */
  readonly minOps?: number;
  /** Write even while ops keep coming (a long catch-up or import) past this many uncovered ops. */
  readonly maxOps?: number;
  /**
   * The board view (REPL15), cached beside the snapshot whenever the log is
   * quiet and the view it covers is out of date: the first screen as JSON,
   * and the whole board as JSON parts, taken at the call and serialised a
   * part per task (stored as one Blob). Omitted → no view cache is written.
   */
  readonly view?: () => { readonly json: string; readonly board?: Iterable<string> };
  /**
   * Data derived from the document's state at this instant, kept in the
   * snapshot for the next open (the board's stories as read); undefined when
   * there is none to keep.
   */
  readonly derived?: () => unknown;
}

/**
 * Writes the snapshot off the hot path (REPL12): after an idle spell once
 * enough ops are uncovered (at once after an open that found none), and
 * during long bursts every `maxOps`. Encoding is synchronous (the state must
 * be read at one instant); the write is one MetaStore put.
 */
export class SnapshotKeeper {
  private covered: number;
  private aligned: number;
  private timer: (() => void) | undefined;
  private writing = false;
  private blocked: string | null = null;
  private eager: boolean;
  private stored: SnapshotStatus['stored'];
  private closed = false;
  /** A write was asked for while one ran: look again when it ends. */
  private again = false;
  /** Ops the stored view cache covers (−1: none known to be current). */
  private viewCovered = -1;

  constructor(private readonly options: SnapshotKeeperOptions, opened: { aligned: number; stored: StoredSnapshot | null; usable: boolean; viewCovers?: number }) {
    this.aligned = opened.aligned;
    this.viewCovered = opened.viewCovers ?? -1;
    this.covered = opened.usable && opened.stored ? opened.stored.upTo : 0;
    this.stored = opened.usable && opened.stored ? { upTo: opened.stored.upTo, bytes: sizeOf(opened.stored), writtenAt: opened.stored.writtenAt, encodeMs: 0 } : null;
    // No usable snapshot at open (first open after an upgrade, or a bad one): write one as soon as it is quiet.
    this.eager = !opened.usable;
  }

  /** Called after ops were applied or written: (re)arms the idle timer, or writes now during a long burst. */
  poke(): void {
    if (this.closed) return;
    const uncovered = this.options.doc.opCount - this.covered;
    if (uncovered <= 0 && !this.viewDue()) return;
    if (uncovered >= (this.options.maxOps ?? 20_000) && this.options.pendingPersist() === 0) { void this.write(); return; }
    this.timer?.();
    this.timer = this.options.schedule(() => { this.timer = undefined; void this.write(); }, this.options.idleMs ?? 2_000);
  }

  status(): Pick<SnapshotStatus, 'stored' | 'writeBlocked'> {
    return { stored: this.stored, writeBlocked: this.blocked };
  }

  close(): void {
    this.closed = true;
    this.timer?.();
    this.timer = undefined;
  }

  /** Whether the cached view (REPL15) is out of date. */
  private viewDue(): boolean {
    return this.options.view !== undefined && this.viewCovered !== this.options.doc.opCount;
  }

  /**
   * Writes a snapshot now if one is due, and the view cache if it is out of
   * date (REPL15), when the conditions hold; resolves with what happened to
   * the snapshot (tests and the idle timer).
   */
  async write(): Promise<'written' | 'not needed' | 'not yet' | 'blocked'> {
    const { doc, store, meta } = this.options;
    if (this.closed) return 'not yet';
    if (this.writing) { this.again = true; return 'not yet'; }
    const uncovered = doc.opCount - this.covered;
    const snapshotDue = uncovered > 0 && (this.eager || uncovered >= (this.options.minOps ?? 1_000));
    if (!snapshotDue && !this.viewDue()) return 'not needed';
    if (this.blocked !== null) return 'blocked';
    if (this.options.pendingPersist() > 0) { this.poke(); return 'not yet'; }
    this.writing = true;
    try {
      // The records written since the last check must be exactly this
      // document's ops since then, in order: then log position = apply position.
      // Read through the id index after the last checked record (no scan of the log before it).
      const from = this.aligned;
      const after = from === 0 ? null : idAt(doc, from - 1);
      const records = after === null ? await store.loadAll() : await store.loadAfter(after);
      if (records === undefined) { this.blocked = 'the log no longer holds an op this replica checked'; return 'blocked'; }
      if (doc.opCount !== from + records.length || this.options.pendingPersist() > 0) {
        if (doc.opCount < from + records.length) this.blocked = 'another tab wrote ops to the log in between; the next open re-aligns';
        else this.poke();
        return this.blocked ? 'blocked' : 'not yet';
      }
      let i = 0;
      for (const m of doc.appliedMeta()) {
        if (i >= from && records[i - from]!.id !== m.id) { this.blocked = 'another tab interleaved writes to the log; the next open re-aligns'; return 'blocked'; }
        i++;
      }
      this.aligned = doc.opCount;
      const upTo = doc.opCount;
      const lastId = upTo === 0 ? null : records.length > 0 ? records[records.length - 1]!.id : lastIdOf(doc);
      // Synchronous from here to the snapshot's put: the state is read at one
      // instant. The log holds exactly the document's ops now (checked above),
      // so the view taken now is the view of log records [0, upTo); its whole
      // board is serialised after the put, from the view objects taken here
      // (never changed in place).
      const view = this.viewDue() && upTo > 0 ? this.options.view!() : undefined;
      let outcome: 'written' | 'not needed' = 'not needed';
      if (snapshotDue) {
        const t0 = this.options.now();
        const bytes = encodeSnapshot(doc, this.options.derived?.());
        const encodeMs = this.options.now() - t0;
        const record: StoredSnapshot = { upTo, lastId, bytes: typeof Blob === 'function' ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : bytes, writtenAt: this.options.now() };
        await meta.set(SNAPSHOT_KEY, record);
        this.covered = upTo;
        this.eager = false;
        this.stored = { upTo, bytes: bytes.length, writtenAt: record.writtenAt, encodeMs };
        outcome = 'written';
      }
      if (view !== undefined) {
        const board = view.board === undefined ? undefined : await serialised(view.board);
        await meta.set(VIEW_CACHE_KEY, viewRecord(view.json, upTo, lastId, board));
        this.viewCovered = upTo;
      }
      return outcome;
    } catch (e) {
      // A failed write costs nothing but a slower next open; try again later.
      console.warn(`[huskies] snapshot not written: ${e instanceof Error ? e.message : String(e)}`);
      return 'not yet';
    } finally {
      this.writing = false;
      // Ops applied while this write ran (a command right after an open) are covered by the next one.
      if (this.again) { this.again = false; this.poke(); }
    }
  }
}

/** JSON parts joined into one Blob (a string where there is no Blob), yielding the thread between parts. */
async function serialised(parts: Iterable<string>): Promise<Blob | string> {
  const out: string[] = [];
  for (const part of parts) {
    if (out.length > 0) await nextTask();
    out.push(part);
  }
  return typeof Blob === 'function' ? new Blob(out, { type: 'application/json' }) : out.join('');
}

function lastIdOf(doc: Document): string | null {
  return doc.opCount === 0 ? null : idAt(doc, doc.opCount - 1);
}

/** The id of the document's applied op at position `i` (a walk of the metadata: ~5 ms at 100,000 ops). */
function idAt(doc: Document, i: number): string | null {
  let n = 0;
  for (const m of doc.appliedMeta()) { if (n === i) return m.id; n++; }
  return null;
}
