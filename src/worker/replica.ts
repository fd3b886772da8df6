// The replica: the composition root of one tab's board (DESIGN §1, §3). It
// wires the core Document, the pipeline's board index and rules, the OpStore
// (through the Persister), the signer and verifier, and sync sessions.
// Every change takes one path — sign → apply → persist → sync — and every
// applied batch, local or remote, is folded into the board index, which
// emits the transition events. Nothing polls.
import { Document, decodeLogged, isSealFrame, toHex, type CoreDump, type IngestResult, type LocalAction, type Op } from '../core/index.js';
import {
  BoardIndex, cachedBoard, commandActions, dueAutomations, dueFor, newStoryId, validateOpForBoard,
  type BoardEvent, type BoardMeta, type BoardView, type Command, type StoryView,
} from '../pipeline/index.js';
import { decodeLogFile, encodeLogFile } from '../protocol/log-file.js';
import type { MetaStore, OpStore, SealStore } from '../storage/op-store.js';
import type { SyncHost } from '../sync/sync-host.js';
import { Persister, type PersistStatus, type Schedule } from './persister.js';
import type { Signer } from './signer.js';
import type { Verifier } from './verifier.js';
import type { WireVerifier } from './wire-verifier.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { SealKeeper, type SealStats } from './seal-keeper.js';
import { historyOf, type HistoryEntry } from './history.js';
import { MAX_TIMER_MS, nextTask } from './schedule.js';
import { StoryLog } from './story-log.js';
import { firstScreen, wholeBoardJson } from './view-cache.js';
import { SNAPSHOT_KEY, SnapshotKeeper, openLog, type OpenedLog, type SnapshotStatus } from './snapshot-keeper.js';

export interface ReplicaOptions {
  readonly roomId: string;
  readonly store: OpStore;
  readonly meta: MetaStore;
  /** Where seals are kept (REPL17); without it they are kept in memory only. */
  readonly sealStore?: SealStore;
  readonly signer: Signer;
  readonly verifier: Verifier;
  /**
   * Hashes and verifies received frames off this thread (a verifier worker);
   * when given, remote batches take it and `verifier` serves the rest.
   */
  readonly wireVerifier?: WireVerifier;
  /** Wall clock in ms (injected: tests drive time). */
  readonly now: () => number;
  /** Random bytes (injected: tests are seeded). */
  readonly randomBytes: (n: number) => Uint8Array;
  readonly schedule: Schedule;
  /** Replica id used by sync (defaults to a random one). */
  readonly replicaId?: string;
  /** Ms of work the serial queue does before it lets a timer run (REPL18; default SLICE_MS). */
  readonly sliceMs?: number;
  /** Log records the stored board-view cache was found to cover at open (REPL15), so an unchanged view is not rewritten. */
  readonly viewCacheCovers?: number;
}

/**
 * A change to the board for the UI: upserted and removed stories, plus the
 * board-level data when it changed (always in a full patch). One edit's patch
 * carries one story, so it costs the same on a board of any size (REPL5).
 */
export interface BoardPatch {
  readonly full: boolean;
  readonly upserts: StoryView[];
  readonly removed: string[];
  /** Settings, names, purged ids and board issues: in every full patch, else only when they changed. */
  readonly meta?: BoardMeta;
  /** How many of the page's commands this board reflects: each counts once applied or refused (UI17). */
  readonly commands: number;
}

export interface ReplicaStatus {
  readonly persist: PersistStatus;
  readonly buffered: number;
  readonly totalOps: number;
}

export interface ImportReport {
  /** Ops in the file (seals not counted). */
  readonly total: number;
  readonly applied: number;
  readonly duplicate: number;
  readonly buffered: number;
  /** Seals in the file that verified (CORE18): their ops needed no signature check of their own. */
  readonly seals: number;
  readonly rejected: { index: number; reason: string }[];
  readonly fileError?: string;
}

export interface ReplicaDump extends CoreDump {
  readonly roomId: string;
  readonly replicaId: string;
  readonly identity: { author: string; name: string | null };
  readonly persisted: number;
  readonly pendingPersist: number;
  readonly persistError: PersistStatus['error'];
  readonly peers: unknown[];
  readonly verifier: string;
  readonly snapshot: SnapshotStatus;
  /** Cumulative time of received batches per phase, in ms (bench breakdown). */
  readonly ingest: Record<string, number | Record<string, number>>;
  /** Seals held, verified and made, and the ops accepted on them (REPL17). */
  readonly seals: SealStats;
  readonly generatedAt: number;
}

type Listener<T> = (value: T) => void;

const now = (): number => globalThis.performance?.now() ?? 0;

/** The background history index (REPL10): how long after the log is loaded it starts, ops per task, and the pause between tasks. */
export const HISTORY_DELAY_MS = 3_000;
export const HISTORY_CHUNK = 500;
export const HISTORY_EVERY_MS = 50;

/** Longest the serial queue works through a burst without letting other tasks run (REPL18). */
const SLICE_MS = 100;

/** Longest a board patch waits during a burst of applied batches (REPL5). */
const FLUSH_MS = 16;
/** Remote ops between two flushes from which a burst counts as bulk (catch-up). */
const BULK_OPS = 200;
/** Longest a board patch waits during a bulk burst. */
const BULK_FLUSH_MAX_MS = 128;

export class Replica implements SyncHost {
  readonly doc: Document;
  readonly author: string;
  readonly replicaId: string;
  private index!: BoardIndex;
  private readonly persister: Persister;
  /** Which log positions touched which story: history decodes just those (REPL10). */
  private readonly stories = new StoryLog();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly appliedListeners = new Set<(ops: { id: string; bytes: Uint8Array }[], origin: string) => void>();
  private readonly eventListeners = new Set<Listener<BoardEvent[]>>();
  private readonly boardListeners = new Set<Listener<BoardPatch>>();
  private readonly statusListeners = new Set<Listener<ReplicaStatus>>();
  private peersProvider: () => unknown[] = () => [];
  private automationTimer: (() => void) | undefined;
  private closed = false;

  private readonly snapshots: SnapshotKeeper;
  private opened!: Omit<SnapshotStatus, 'stored' | 'writeBlocked' | 'prefixPending' | 'historyPending'>;
  /** The board as of the cached view this replica opened at, until a subscriber has settled it (REPL15). */
  private viewBase: { readonly upTo: number; readonly view: BoardView; readonly meta: BoardMeta } | undefined;
  /** Resolves once every applied op's bytes are at hand (at once, unless opened from a snapshot). */
  private prefixReady: Promise<void> = Promise.resolve();
  /** Received ops: verified (off this thread where it can), applied in call order (REPL3, REPL14, REPL16). */
  private readonly received: IngestPipeline;
  /** Seals received, kept and made (CORE18, REPL17). */
  readonly seals: SealKeeper;

  private constructor(private readonly options: ReplicaOptions, doc: Document, persisted: number, keeper: (doc: Document, pending: () => number) => SnapshotKeeper) {
    this.doc = doc;
    this.author = toHex(options.signer.publicKey);
    this.replicaId = options.replicaId ?? toHex(options.randomBytes(8));
    // Ops are written after the seals they were accepted on (REPL17).
    this.persister = new Persister(options.store, { schedule: options.schedule, persisted, before: () => this.seals.stored() });
    this.snapshots = keeper(doc, () => this.persister.status().pending);
    this.seals = new SealKeeper({
      doc, verifier: options.verifier, signer: options.signer, ...(options.sealStore ? { store: options.sealStore } : {}),
      // Kept seals go to the sync sessions like ops, ahead of the ops they list (SYNC18).
      onKept: (seals, origin) => { this.emitApplied(seals.map((seal) => ({ id: seal.id, bytes: seal.bytes })), origin); },
    });
    this.received = new IngestPipeline({
      doc, verifier: options.verifier, ...(options.wireVerifier ? { wireVerifier: options.wireVerifier } : {}), seals: this.seals,
      serial: (fn) => this.serial(fn), afterApply: (ops, origin) => this.afterApply(ops, origin),
    });
    this.persister.onStatus((s) => {
      this.emitStatus();
      if (s.pending === 0 && s.error === null) this.snapshots.poke();
    });
  }

  /**
   * Opens a replica (REPL1, REPL12): restores the snapshot and replays the
   * log's tail in insertion order (CORE14) — or, without a usable snapshot,
   * replays the whole log — then builds the board index. The restored
   * prefix's ops are loaded in the background (REPL13).
   */
  static async open(options: ReplicaOptions, loaded?: Promise<OpenedLog>): Promise<Replica> {
    const clock = () => globalThis.performance?.now() ?? options.now();
    const log = await (loaded ?? Replica.loadLog(options.store, options.meta, options.now));
    const persisted = log.restored + log.tail.length;
    const replica: Replica = new Replica(options, log.doc, persisted, (doc, pending): SnapshotKeeper => new SnapshotKeeper(
      {
        store: options.store, meta: options.meta, doc, schedule: options.schedule, now: clock, pendingPersist: pending,
        view: () => {
          const view = replica.index.view;
          const meta = replica.index.meta();
          return { json: JSON.stringify(firstScreen(view, meta)), board: wholeBoardJson(view, meta) };
        },
        derived: (): unknown => replica.index.cache(),
      },
      { aligned: log.aligned, stored: log.stored, usable: log.ignored === null, ...(options.viewCacheCovers !== undefined ? { viewCovers: options.viewCacheCovers } : {}) },
    ));
    replica.stories.defer(log.restored, log.doc.opCount);
    let t = clock();
    // The stories as the snapshot's prefix had them, then the tail's ops folded in as live ones are.
    let cached = cachedBoard(log.derived, log.restored);
    const viewAt = options.viewCacheCovers;
    const keepView = (upTo: number) => { replica.viewBase = { upTo, view: replica.index.view, meta: replica.index.meta() }; };
    try {
      replica.index = new BoardIndex(replica.doc, cached);
      const applied = log.applied;
      if (cached !== undefined && applied.length > 0) {
        // The page may show a cached view of fewer records than the log holds
        // (the log's last edits came after it): the board at that view is the
        // cached stories with the tail's first ops folded in, kept before the
        // rest is folded (REPL15). `aligned`: those records applied in log order.
        const inTail = viewAt !== undefined && viewAt >= log.restored && viewAt <= log.aligned && viewAt - log.restored < applied.length;
        const cut = inTail ? viewAt - log.restored : applied.length;
        if (cut > 0) replica.index.update(applied.slice(0, cut), options.now());
        if (cut < applied.length) {
          keepView(viewAt!);
          replica.index.update(applied.slice(cut), options.now());
        }
      }
    } catch (e) {
      // A cache that passed its checks but cannot be folded: read the stories from the state (it is only a cache).
      if (cached === undefined) throw e;
      console.warn(`[huskies] the board kept with the snapshot is not used: ${e instanceof Error ? e.message : String(e)}`);
      cached = undefined;
      replica.viewBase = undefined;
      replica.index = new BoardIndex(replica.doc);
    }
    log.openMs[cached !== undefined ? 'boardIndexCached' : 'boardIndex'] = clock() - t;
    t = clock();
    replica.scheduleAutomations('all');
    log.openMs['automations'] = clock() - t;
    // The cached view covers exactly this state: a page that shows it needs only the changes from here (REPL15).
    if (replica.viewBase === undefined && viewAt !== undefined && viewAt === replica.doc.opCount) keepView(viewAt);
    log.openMs['total'] = Object.values(log.openMs).reduce((a, b) => a + b, 0);
    replica.opened = { openedFrom: log.restored > 0 || log.ignored === null ? 'snapshot' : 'log', ignored: log.ignored, restoredOps: log.restored, replayedOps: log.tail.length, openMs: log.openMs };
    if (log.doc.detachedOps > 0) {
      replica.prefixReady = replica.loadPrefix();
      replica.prefixReady.catch(() => undefined); // awaited by the consumers; not unhandled here
    }
    void replica.prefixReady.then(() => replica.indexHistoryLater(), () => undefined);
    replica.snapshots.poke();
    return replica;
  }

  /**
   * Reads the log into a document (snapshot + tail, or the whole log): the
   * first half of `open`, which needs no identity, so the caller may run it
   * while it claims one (REPL12).
   */
  static loadLog(store: OpStore, meta: MetaStore, now: () => number, before?: Promise<unknown>): Promise<OpenedLog> {
    const clock = () => globalThis.performance?.now() ?? now();
    return openLog(store, meta, () => new Document({ validate: validateOpForBoard }), { validate: validateOpForBoard }, clock, before);
  }

  /** Loads the restored prefix's records in the background (REPL13); a failing store is retried with backoff. */
  private async loadPrefix(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      let mismatch: string | undefined;
      try {
        mismatch = await this.stories.loadPrefix(this.options.store, this.doc);
      } catch {
        await new Promise<void>((resolve) => this.options.schedule(resolve, Math.min(10_000, 250 * 2 ** attempt)));
        continue;
      }
      if (mismatch !== undefined) {
        // The snapshot did not match its log after all: never serve a wrong
        // answer. Drop the snapshot so that the next open replays the whole log.
        console.error(`[huskies] the log does not match the snapshot (${mismatch}); it is dropped and the next open replays the log`);
        await this.options.meta.set(SNAPSHOT_KEY, null).catch(() => undefined);
        throw new Error(`the restored log cannot be served: ${mismatch}`);
      }
      return;
    }
    throw new Error('the replica is closed');
  }

  /**
   * Builds the history index of the ops not folded one by one (the restored
   * prefix, the log replayed at open) in chunks of HISTORY_CHUNK, one task
   * each, HISTORY_DELAY_MS after the log is loaded (REPL10): a story's
   * history is then instant, and a history call before that indexes the
   * rest itself. Late and in small tasks, it leaves the first seconds after
   * an open, when the person starts working, to them.
   */
  private indexHistoryLater(): void {
    const step = (): void => {
      if (this.closed || !this.stories.behind) return;
      this.stories.indexSome(this.doc, HISTORY_CHUNK);
      this.options.schedule(step, HISTORY_EVERY_MS);
    };
    if (this.stories.behind) this.options.schedule(step, HISTORY_DELAY_MS);
  }

  /**
   * Resolves when every applied op's bytes are at hand (REPL13): sync
   * serving, history and export wait for it after an open from a snapshot.
   */
  logReady(): Promise<void> {
    return this.prefixReady;
  }

  /** The whole op log, metadata and bytes. Throws while a restored prefix is loading: callers wait for logReady. */
  private wholeLog(): ReturnType<Document['log']> {
    if (this.doc.detachedOps > 0) throw new Error('the restored log is still loading (await logReady)');
    return this.doc.log();
  }

  /** How the open went (cheap, unlike the dump): for the console and the perf harness. */
  openReport(): SnapshotStatus {
    return { ...this.opened, prefixPending: this.doc.detachedOps, historyPending: this.stories.pending, ...this.snapshots.status() };
  }

  /** Writes the snapshot now if one is due (tests, and before a planned close). */
  writeSnapshot(): ReturnType<SnapshotKeeper['write']> {
    return this.snapshots.write();
  }

  // ---- commands (one op each) ----

  /** Runs a board command as one signed op; resolves with the op id (or null when nothing changed). */
  /**
   * Runs a command. `fromPage` counts it among the page's commands, which
   * every board patch reports (UI17): it counts the moment its op is applied
   * (so the patch that shows it carries the count) or once it is refused or
   * changes nothing.
   */
  command(cmd: Command, fromPage = false): Promise<string | null> {
    if (fromPage) this.pageCommandAt = this.options.now();
    return this.serial(async () => {
      let counted = !fromPage;
      const count = () => { if (!counted) { counted = true; this.pageCommands++; } };
      try {
        const ctx = { author: this.author, now: this.options.now() };
        // currentSettings, not view.settings: materialising the view copies every column.
        const actions = commandActions(this.doc, ctx, cmd, this.index.currentSettings);
        if (actions.length === 0) return null;
        return (await this.commitLocal(actions, count)).id;
      } finally {
        count();
      }
    });
  }

  /** The page's commands applied or refused so far (UI17). */
  private pageCommands = 0;

  /** A fresh story id from the injected randomness. */
  newStoryId(): string {
    return newStoryId(this.options.randomBytes(5));
  }

  /** Creates the board (the room creator does this once). */
  async initBoard(): Promise<void> {
    await this.command({ type: 'init' });
  }

  private async commitLocal(actions: LocalAction[], onApplied?: () => void): Promise<Op> {
    const prepared = this.doc.prepare(this.author, actions);
    let sig: Uint8Array;
    try {
      sig = await this.options.signer.sign(prepared.idBytes);
    } catch (e) {
      this.doc.abandon(prepared);
      throw e;
    }
    const op = this.doc.commit(prepared, sig);
    onApplied?.();
    this.afterApply([op], 'local');
    this.seals.noteOwn(op.id);
    return op;
  }

  /** When the serial queue's current run of work began; undefined once a timer task has run since. */
  private sliceStart: number | undefined;

  /**
   * Runs `fn` after every task queued before it. Work that has run for
   * SLICE_MS with no timer task in between (a catch-up's batches) first
   * yields with a timer (REPL18). Measured in Chromium: a sealed catch-up
   * of 100,000 ops applied for seconds in one chain of microtasks, with no
   * board patch or status for the page and no append committed until it
   * ended; yielding with a message (MessageChannel) still left IndexedDB's
   * completions seconds late, yielding with a timer lets them in.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = (): Promise<T> => {
      const t = now();
      if (this.sliceStart === undefined) {
        // A marker: once a timer task runs, the other tasks have had their turn and a new slice begins.
        this.sliceStart = t;
        void nextTask().then(() => { this.sliceStart = undefined; });
      } else if (t - this.sliceStart >= (this.options.sliceMs ?? SLICE_MS)) return nextTask().then(fn);
      return fn();
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  // ---- remote ops (SyncHost) ----

  /** Verifies (overlapping other batches, so edits stay responsive) then applies received ops in arrival order. */
  async receive(frames: Uint8Array[], fromPeer: string): Promise<{ missing: string[] }> {
    await this.ingest(frames, fromPeer);
    return { missing: this.doc.missingDependencies() };
  }

  /** Ingests ops from any source; returns the core's per-op outcomes. */
  async ingest(frames: readonly unknown[], origin: string): Promise<IngestResult> {
    return this.received.ingest(frames, origin);
  }

  versionVector(): Record<string, number> {
    return this.doc.versionVector();
  }

  heads(): string[] {
    return this.doc.heads();
  }

  has(id: string): boolean {
    return this.doc.has(id);
  }

  /** Loads the kept seals and seals this replica's own ops, so the catch-up it is about to send carries them (REPL17). */
  beforeCatchUp(): Promise<void> {
    return this.seals.sealForCatchUp();
  }

  opsFor(vv: Record<string, number>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const sent = new Set<string>();
    for (const op of this.wholeLog()) if (op.seq > (vv[op.author] ?? 0)) this.withSeal(op, out, sent);
    return out;
  }

  getOps(ids: readonly string[]): Uint8Array[] {
    const log = this.wholeLog(); // throws while a restored prefix loads, as opsFor does
    const out: Uint8Array[] = [];
    const sent = new Set<string>();
    for (const id of ids) {
      const at = this.doc.positionOf(id);
      if (at !== undefined) this.withSeal(log[at]!, out, sent);
    }
    return out;
  }

  /** Appends an op's bytes to a stream, after the seal that lists it when the stream does not carry that seal yet (SYNC18). */
  private withSeal(op: { readonly id: string; readonly author: string; readonly bytes: Uint8Array }, out: Uint8Array[], sent: Set<string>): void {
    const seal = this.seals.book.size === 0 ? undefined : this.seals.book.sealOf(op.id, op.author);
    if (seal !== undefined && !sent.has(seal.id)) { sent.add(seal.id); out.push(seal.bytes); }
    out.push(op.bytes);
  }

  onApplied(listener: (ops: { id: string; bytes: Uint8Array }[], origin: string) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  private emitApplied(records: { id: string; bytes: Uint8Array }[], origin: string): void {
    for (const l of this.appliedListeners) l(records, origin);
  }

  // ---- after every applied batch ----

  private afterApply(ops: readonly Op[], origin: string): void {
    if (ops.length === 0) return;
    // One record per op serves both the store and the sync sessions.
    const records = ops.map((op) => ({ id: op.id, bytes: op.bytes }));
    this.persister.enqueue(records);
    const t = now();
    const base = this.doc.opCount - ops.length;
    const events = this.index.update(ops, this.options.now(), (k, story) => this.stories.note(base + k, story));
    this.received.times.indexMs += now() - t;
    this.emitApplied(records, origin);
    if (events.length > 0) {
      for (const l of this.eventListeners) l(events);
    }
    for (const e of events) this.dirty.add(e.storyId);
    this.boardChanged = true;
    // A local edit shows at once (a keypress must reach the screen within a
    // frame); remote bursts are coalesced.
    if (origin === 'local') { this.burstMs = FLUSH_MS; this.flushNow(); } else { this.opsSinceFlush += ops.length; this.requestFlush(); }
  }

  private flushNow(): void {
    this.flushTimer?.();
    this.flushTimer = undefined;
    this.flush();
  }

  // Board patches, status and the automation check cost O(board) (the view is
  // materialised), so they are coalesced: the first change after a quiet
  // spell goes out at once (a keypress shows immediately), changes during a
  // burst go out at most every FLUSH_MS. A bulk burst (catch-up: hundreds of
  // ops between flushes) stretches the interval, doubling up to
  // BULK_FLUSH_MAX_MS: each patch and status message costs the worker and the
  // page a structured clone, so fewer, larger patches leave more CPU for
  // applying ops; live edits (a few ops between flushes) keep FLUSH_MS.
  private burstMs = FLUSH_MS;
  private opsSinceFlush = 0;
  private readonly dirty = new Set<string>();
  private boardChanged = false;
  private flushTimer: (() => void) | undefined;
  private lastFlush = -Infinity;

  private requestFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    const now = this.options.now();
    const wait = Math.max(0, this.lastFlush + this.burstMs - now);
    if (wait === 0) { this.flush(); return; }
    this.flushTimer = this.options.schedule(() => { this.flushTimer = undefined; this.flush(); }, wait);
  }

  private flush(): void {
    const t = now();
    this.flushInner();
    this.received.times.flushMs += now() - t;
  }

  private flushInner(): void {
    if (this.boardChanged) {
      this.lastFlush = this.options.now();
      this.burstMs = this.opsSinceFlush >= BULK_OPS ? Math.min(BULK_FLUSH_MAX_MS, this.burstMs * 2) : FLUSH_MS;
      this.opsSinceFlush = 0;
      this.boardChanged = false;
      const ids = [...this.dirty];
      this.dirty.clear();
      this.emitPatch(ids);
      this.scheduleAutomations(ids);
    }
    this.emitStatus();
  }

  private emitPatch(ids: readonly string[]): void {
    if (this.boardListeners.size === 0) return;
    const upserts: StoryView[] = [];
    const removed: string[] = [];
    for (const id of ids) { const s = this.index.story(id); if (s) upserts.push(s); else removed.push(id); }
    // meta() keeps its identity while unchanged, so an edit's patch leaves it out.
    const meta = this.index.meta();
    const commands = this.pageCommands;
    const patch: BoardPatch = meta === this.sentMeta ? { full: false, upserts, removed, commands } : { full: false, upserts, removed, meta, commands };
    this.sentMeta = meta;
    for (const l of this.boardListeners) l(patch);
  }

  /** When the page last sent a command (wall clock; −∞ before the first). */
  private pageCommandAt = -Infinity;

  /** The board-level data of the last incremental patch (a full patch goes to one new subscriber only). */
  private sentMeta: BoardMeta | undefined;

  /** The whole board as a patch (for a new subscriber). */
  fullPatch(): BoardPatch {
    return { full: true, upserts: [...this.index.view.stories], removed: [], meta: this.index.meta(), commands: this.pageCommands };
  }

  /**
   * What changed since the board the cached view of `upTo` log records
   * shows (REPL15): a page that shows that view needs only this. Undefined
   * unless this replica kept the board at that view when it opened (at it,
   * or past it by records of its snapshot's tail) and has not settled it.
   */
  patchSince(upTo: number): BoardPatch | undefined {
    const base = this.viewBase;
    if (base === undefined || base.upTo !== upTo) return undefined;
    const meta = this.index.meta();
    // The index keeps its view until something changes.
    if (this.index.view === base.view) return { full: false, upserts: [], removed: [], meta, commands: this.pageCommands };
    const before = new Map(base.view.stories.map((s) => [s.id, s]));
    const upserts: StoryView[] = [];
    // Views are never changed in place: an unchanged story is the same object.
    for (const s of this.index.view.stories) {
      if (before.get(s.id) !== s) upserts.push(s);
      before.delete(s.id);
    }
    return { full: false, upserts, removed: [...before.keys()], meta, commands: this.pageCommands };
  }

  /**
   * Checks the cached whole board a page was given against this replica's
   * own view of the same ops (REPL15), and forgets that view: when they
   * differ (a cache from a build that derives views differently), every
   * subscriber gets the full board. Resolves whether they matched; without
   * `board`, only forgets.
   */
  async settleCachedView(board?: Blob | string): Promise<boolean> {
    const base = this.viewBase;
    this.viewBase = undefined;
    if (base === undefined || board === undefined) return true;
    const text = typeof board === 'string' ? board : await board.text();
    // Part by part, a task each (as it was written): the check runs while the page is in use.
    let at = 0;
    let same = true;
    for (const part of wholeBoardJson(base.view, base.meta)) {
      if (at > 0) await nextTask();
      if (!text.startsWith(part, at)) { same = false; break; }
      at += part.length;
    }
    if (same && at === text.length) {
      console.info('[huskies] open: the cached whole board matches the worker\'s own view');
      return true;
    }
    console.warn('[huskies] the cached board differed from the worker\'s own view of the same ops; the page now shows the worker\'s');
    if (!this.closed) { const full = this.fullPatch(); for (const l of this.boardListeners) l(full); }
    return false;
  }

  /**
   * Runs `task` once the page has sent no command for `quietMs` (at the
   * earliest `quietMs` from now): background work that reads the whole board
   * (REPL15's check) stays out of a person's first moves after an open.
   */
  whenPageIdle(quietMs: number, task: () => void): void {
    const check = () => {
      if (this.closed) return;
      const idle = this.options.now() - this.pageCommandAt;
      // A wall clock set back (idle < 0) cannot say how long it has been: the task runs.
      if (idle >= quietMs || idle < 0) task(); else this.options.schedule(check, quietMs - idle);
    };
    this.options.schedule(check, quietMs);
  }

  /** The current board view. */
  view(): BoardView {
    return this.index.view;
  }

  /** The current view of one story. */
  story(id: string): StoryView | undefined {
    return this.index.story(id);
  }

  // ---- automatic rules (PIPE21–PIPE24) ----

  /** Runs the automatic rules that are due, then re-arms the timer for the next one. */
  async runAutomations(): Promise<void> {
    const now = this.options.now();
    for (const cmd of dueAutomations(this.index.view, now)) {
      try { await this.command(cmd); } catch { /* re-checked next time */ }
    }
    this.scheduleAutomations('all');
  }

  /**
   * Checks the rules for the stories that changed (every story at start, when
   * the settings change, and after a run) and arms the timer for the next
   * done story to archive. Checking only what changed keeps an edit O(1) in
   * the size of the board.
   */
  private scheduleAutomations(touched: Iterable<string> | 'all'): void {
    if (this.closed) return;
    const settings = this.index.currentSettings;
    const all = touched === 'all' || settings !== this.lastSettings;
    this.lastSettings = settings;
    const now = this.options.now();
    const stories: StoryView[] = [];
    if (all) stories.push(...this.index.view.stories);
    else for (const id of touched) { const s = this.index.story(id); if (s) stories.push(s); }
    if (all) this.nextArchiveAt = Infinity;
    for (const s of stories) {
      if (s.stage === 'done') this.nextArchiveAt = Math.min(this.nextArchiveAt, (s.doneAt ?? s.updatedAt) + settings.archiveAfterMs);
    }
    if (dueFor(stories, now, settings).length > 0) {
      this.automationTimer?.();
      this.automationArmedAt = now;
      this.automationTimer = this.options.schedule(() => { this.automationTimer = undefined; void this.runAutomations(); }, 0);
      return;
    }
    if (this.nextArchiveAt < Infinity && (this.automationTimer === undefined || this.automationArmedAt > this.nextArchiveAt)) {
      this.automationTimer?.();
      this.automationArmedAt = this.nextArchiveAt;
      // setTimeout fires at once for delays past 2^31 − 1 ms (~24.8 days), which
      // with a long archive time re-armed the timer in a busy loop (REPL11).
      this.automationTimer = this.options.schedule(() => { this.automationTimer = undefined; void this.runAutomations(); }, Math.min(MAX_TIMER_MS, Math.max(0, this.nextArchiveAt - now)));
    }
  }

  private lastSettings: BoardView['settings'] | undefined;
  private nextArchiveAt = Infinity;
  private automationArmedAt = Infinity;

  // ---- subscriptions ----

  onEvents(listener: Listener<BoardEvent[]>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onBoard(listener: Listener<BoardPatch>): () => void {
    this.boardListeners.add(listener);
    return () => this.boardListeners.delete(listener);
  }

  onStatus(listener: Listener<ReplicaStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  status(): ReplicaStatus {
    return { persist: this.persister.status(), buffered: this.doc.bufferedCount, totalOps: this.doc.opCount };
  }

  // The persister reports each enqueue and each write, and a flush reports
  // too: one status per turn is enough, and it goes after the board patch so
  // the page gets the patch first.
  private statusQueued = false;

  private emitStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    queueMicrotask(() => {
      this.statusQueued = false;
      const s = this.status();
      for (const l of this.statusListeners) l(s);
    });
  }

  /** Lets the sync layer report peers for the dump. */
  setPeersProvider(fn: () => unknown[]): void {
    this.peersProvider = fn;
  }

  /** Retries a failed write now. */
  retryPersist(): void {
    this.persister.retryNow();
  }

  /** Resolves when every applied op is written (tests, shutdown). */
  flushed(): Promise<void> {
    return this.persister.idle();
  }

  // ---- history, dump, backup ----

  /** Who changed what and when on one story, read from the signed ops (after the whole log is loaded, REPL13). */
  async history(storyId: string): Promise<HistoryEntry[]> {
    await this.prefixReady;
    const story = this.index.story(storyId);
    if (!story) return [];
    const log = this.wholeLog();
    const ops = this.stories.positions(story.elem, this.doc).map((p) => decodeLogged(log[p]!));
    return historyOf(this.doc, story.elem, this.index.view.names, ops);
  }

  /** The debug dump: the core's dump plus persistence, identity, peers and seals (CORE15, REPL9, REPL17). */
  dump(): ReplicaDump {
    const p = this.persister.status();
    return {
      ...this.doc.dump(),
      roomId: this.options.roomId,
      replicaId: this.replicaId,
      identity: { author: this.author, name: this.index.view.names[this.author] ?? null },
      persisted: p.persisted,
      pendingPersist: p.pending,
      persistError: p.error,
      peers: this.peersProvider(),
      snapshot: this.openReport(),
      verifier: this.options.wireVerifier ? `${this.options.wireVerifier.name}; ${this.options.verifier.name}` : this.options.verifier.name,
      ingest: { ...this.received.times, persist: this.persister.timing() },
      seals: this.seals.stats(),
      generatedAt: this.options.now(),
    };
  }

  /** The op log as a backup file, in insertion order (after the whole log is loaded, REPL13). */
  async exportLog(): Promise<Uint8Array> {
    await this.prefixReady;
    await this.seals.load();
    const frames: Uint8Array[] = [];
    const sent = new Set<string>();
    for (const op of this.wholeLog()) this.withSeal(op, frames, sent);
    return encodeLogFile(frames);
  }

  /** Imports a backup file: every op is verified again (on its own signature or its seal); reports what was rejected. */
  async importLog(file: Uint8Array): Promise<ImportReport> {
    const parsed = decodeLogFile(file);
    const result = await this.ingest(parsed.ops, 'import');
    const rejected: { index: number; reason: string }[] = [];
    let duplicate = 0, sealFrames = 0, seals = 0;
    result.outcomes.forEach((o, index) => {
      const seal = isSealFrame(parsed.ops[index]);
      if (seal) sealFrames++;
      if (o.status === 'rejected') rejected.push({ index, reason: o.reason ?? 'rejected' });
      else if (seal) seals++;
      else if (o.status === 'duplicate') duplicate++;
    });
    // Ops released from the buffer count as applied too.
    return {
      total: parsed.ops.length - sealFrames, applied: result.applied.length, duplicate,
      buffered: this.doc.bufferedCount, seals, rejected, ...(parsed.ok ? {} : { fileError: parsed.reason }),
    };
  }

  /** Stops timers; the store stays open for the owner to close. */
  close(): void {
    this.closed = true;
    this.automationTimer?.();
    this.flushTimer?.();
    this.snapshots.close();
    this.persister.close();
  }
}

