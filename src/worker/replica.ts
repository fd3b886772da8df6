// The replica: the composition root of one tab's board (DESIGN §1, §3). It
// wires the core Document, the pipeline's board index and rules, the OpStore
// (through the Persister), the signer and verifier, and sync sessions.
// Every change takes one path — sign → apply → persist → sync — and every
// applied batch, local or remote, is folded into the board index, which
// emits the transition events. Nothing polls.
import { Document, toHex, type CoreDump, type IngestResult, type LocalAction, type Op } from '../core/index.js';
import {
  BoardIndex, commandActions, dueAutomations, dueFor, newStoryId, validateOpForBoard,
  type BoardEvent, type BoardMeta, type BoardView, type Command, type StoryView,
} from '../pipeline/index.js';
import { decodeLogFile, encodeLogFile } from '../protocol/log-file.js';
import type { MetaStore, OpStore } from '../storage/op-store.js';
import type { SyncHost } from '../sync/sync-host.js';
import { Persister, type PersistStatus, type Schedule } from './persister.js';
import type { Signer } from './signer.js';
import type { Verifier } from './verifier.js';
import { historyOf, type HistoryEntry } from './history.js';

export interface ReplicaOptions {
  readonly roomId: string;
  readonly store: OpStore;
  readonly meta: MetaStore;
  readonly signer: Signer;
  readonly verifier: Verifier;
  /** Wall clock in ms (injected: tests drive time). */
  readonly now: () => number;
  /** Random bytes (injected: tests are seeded). */
  readonly randomBytes: (n: number) => Uint8Array;
  readonly schedule: Schedule;
  /** Replica id used by sync (defaults to a random one). */
  readonly replicaId?: string;
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
}

export interface ReplicaStatus {
  readonly persist: PersistStatus;
  readonly buffered: number;
  readonly totalOps: number;
}

export interface ImportReport {
  readonly total: number;
  readonly applied: number;
  readonly duplicate: number;
  readonly buffered: number;
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
  readonly generatedAt: number;
}

type Listener<T> = (value: T) => void;

/** Longest a board patch waits during a burst of applied batches. */
const FLUSH_MS = 16;

export class Replica implements SyncHost {
  readonly doc: Document;
  readonly author: string;
  readonly replicaId: string;
  private index!: BoardIndex;
  private readonly persister: Persister;
  private readonly byId = new Map<string, Op>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly appliedListeners = new Set<(ops: { id: string; bytes: Uint8Array }[], origin: string) => void>();
  private readonly eventListeners = new Set<Listener<BoardEvent[]>>();
  private readonly boardListeners = new Set<Listener<BoardPatch>>();
  private readonly statusListeners = new Set<Listener<ReplicaStatus>>();
  private peersProvider: () => unknown[] = () => [];
  private automationTimer: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly options: ReplicaOptions, persisted: number) {
    this.doc = new Document({ validate: validateOpForBoard });
    this.author = toHex(options.signer.publicKey);
    this.replicaId = options.replicaId ?? toHex(options.randomBytes(8));
    this.persister = new Persister(options.store, { schedule: options.schedule, persisted });
    this.persister.onStatus(() => this.emitStatus());
  }

  /** Opens a replica: replays the store in insertion order (CORE14) and builds the board index. */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const stored = await options.store.loadAll();
    const replica = new Replica(options, stored.length);
    const result = replica.doc.replay(stored);
    for (const op of result.applied) replica.byId.set(op.id, op);
    replica.index = new BoardIndex(replica.doc);
    replica.scheduleAutomations('all');
    return replica;
  }

  // ---- commands (one op each) ----

  /** Runs a board command as one signed op; resolves with the op id (or null when nothing changed). */
  command(cmd: Command): Promise<string | null> {
    return this.serial(async () => {
      const ctx = { author: this.author, now: this.options.now() };
      // currentSettings, not view.settings: materialising the view copies every column.
      const actions = commandActions(this.doc, ctx, cmd, this.index.currentSettings);
      if (actions.length === 0) return null;
      return (await this.commitLocal(actions)).id;
    });
  }

  /** A fresh story id from the injected randomness. */
  newStoryId(): string {
    return newStoryId(this.options.randomBytes(5));
  }

  /** Creates the board (the room creator does this once). */
  async initBoard(): Promise<void> {
    await this.command({ type: 'init' });
  }

  private async commitLocal(actions: LocalAction[]): Promise<Op> {
    const prepared = this.doc.prepare(this.author, actions);
    let sig: Uint8Array;
    try {
      sig = await this.options.signer.sign(prepared.idBytes);
    } catch (e) {
      this.doc.abandon(prepared);
      throw e;
    }
    const op = this.doc.commit(prepared, sig);
    this.afterApply([op], 'local');
    return op;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
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
    const session = this.doc.beginIngest(frames);
    // Verification of several batches overlaps (WebCrypto runs off this
    // thread), while applying stays in call order: the serial queue.
    const verified = (async () => {
      while (session.pending) session.resolve(await this.options.verifier.verify(session.requests()));
    })();
    return this.serial(async () => {
      await verified;
      const result = session.finish();
      this.afterApply(result.applied, origin);
      return result;
    });
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

  opsFor(vv: Record<string, number>): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const op of this.doc.ops()) if (op.seq > (vv[op.author] ?? 0)) out.push(op.bytes);
    return out;
  }

  getOps(ids: readonly string[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const id of ids) { const op = this.byId.get(id); if (op) out.push(op.bytes); }
    return out;
  }

  onApplied(listener: (ops: { id: string; bytes: Uint8Array }[], origin: string) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  // ---- after every applied batch ----

  private afterApply(ops: readonly Op[], origin: string): void {
    if (ops.length === 0) return;
    for (const op of ops) this.byId.set(op.id, op);
    // One record per op serves both the store and the sync sessions.
    const records = ops.map((op) => ({ id: op.id, bytes: op.bytes }));
    this.persister.enqueue(records);
    const events = this.index.update(ops, this.options.now());
    for (const l of this.appliedListeners) l(records, origin);
    if (events.length > 0) {
      for (const l of this.eventListeners) l(events);
    }
    for (const e of events) this.dirty.add(e.storyId);
    this.boardChanged = true;
    // A local edit shows at once (a keypress must reach the screen within a
    // frame); remote bursts are coalesced.
    if (origin === 'local') this.flushNow();
    else this.requestFlush();
  }

  private flushNow(): void {
    this.flushTimer?.();
    this.flushTimer = undefined;
    this.flush();
  }

  // Board patches, status and the automation check cost O(board) (the view is
  // materialised), so they are coalesced: the first change after a quiet
  // spell goes out at once (a keypress shows immediately), changes during a
  // burst (catch-up) go out at most every FLUSH_MS.
  private readonly dirty = new Set<string>();
  private boardChanged = false;
  private flushTimer: (() => void) | undefined;
  private lastFlush = -Infinity;

  private requestFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    const now = this.options.now();
    const wait = Math.max(0, this.lastFlush + FLUSH_MS - now);
    if (wait === 0) { this.flush(); return; }
    this.flushTimer = this.options.schedule(() => { this.flushTimer = undefined; this.flush(); }, wait);
  }

  private flush(): void {
    if (this.boardChanged) {
      this.lastFlush = this.options.now();
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
    const patch: BoardPatch = meta === this.sentMeta ? { full: false, upserts, removed } : { full: false, upserts, removed, meta };
    this.sentMeta = meta;
    for (const l of this.boardListeners) l(patch);
  }

  /** The board-level data of the last incremental patch (a full patch goes to one new subscriber only). */
  private sentMeta: BoardMeta | undefined;

  /** The whole board as a patch (for a new subscriber). */
  fullPatch(): BoardPatch {
    return { full: true, upserts: [...this.index.view.stories], removed: [], meta: this.index.meta() };
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
      this.automationTimer = this.options.schedule(() => { this.automationTimer = undefined; void this.runAutomations(); }, Math.max(0, this.nextArchiveAt - now));
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
    return { persist: this.persister.status(), buffered: this.doc.bufferedCount, totalOps: this.doc.ops().length };
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

  /** Who changed what and when on one story, read from the signed ops. */
  history(storyId: string): HistoryEntry[] {
    const story = this.index.story(storyId);
    if (!story) return [];
    return historyOf(this.doc, story.elem, this.index.view.names);
  }

  /** The debug dump: the core's dump plus persistence, identity and peers (CORE15, REPL9). */
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
      verifier: this.options.verifier.name,
      generatedAt: this.options.now(),
    };
  }

  /** The op log as a backup file, in insertion order. */
  exportLog(): Uint8Array {
    return encodeLogFile(this.doc.ops().map((op) => op.bytes));
  }

  /** Imports a backup file: every op is verified again; reports what was rejected. */
  async importLog(file: Uint8Array): Promise<ImportReport> {
    const parsed = decodeLogFile(file);
    const result = await this.ingest(parsed.ops, 'import');
    const rejected: { index: number; reason: string }[] = [];
    let applied = 0, duplicate = 0, buffered = 0;
    result.outcomes.forEach((o, index) => {
      if (o.status === 'applied') applied++;
      else if (o.status === 'duplicate') duplicate++;
      else if (o.status === 'buffered') buffered++;
      else rejected.push({ index, reason: o.reason ?? 'rejected' });
    });
    // Ops released from the buffer count as applied too.
    applied = result.applied.length;
    return { total: parsed.ops.length, applied, duplicate, buffered: this.doc.bufferedCount, rejected, ...(parsed.ok ? {} : { fileError: parsed.reason }) };
  }

  /** Stops timers; the store stays open for the owner to close. */
  close(): void {
    this.closed = true;
    this.automationTimer?.();
    this.flushTimer?.();
    this.persister.close();
  }
}

