// The worker's API (DESIGN §1): coarse commands and plain data in and out,
// nothing the UI could use to reach the CRDT. One replica per tab; the UI
// sends commands and receives board patches, events and status.
import { CommandError, FEED_LIMIT, type BoardEvent, type Command } from '../pipeline/index.js';
import { IdbOpStore } from '../storage/idb-op-store.js';
import type { PortLike } from '../sync/port-transport.js';
import { serveChannel, type ControlPort } from '../sync/frames-link.js';
import type { ChannelTransport } from '../sync/channel-transport.js';
import { FailingOpStore } from '../storage/failing-op-store.js';
import { claimIdentity, type LockPort } from './identity.js';
import { Replica, type BoardPatch, type ImportReport, type ReplicaDump, type ReplicaStatus } from './replica.js';
import type { HistoryEntry } from './history.js';
import { RoomSync, type SessionRow } from './room-sync.js';
import { timerSchedule } from './schedule.js';
import { bestSigner } from './signer.js';
import { bestVerifier, hasWebCryptoEd25519 } from './verifier.js';
import { InlineWireVerifier, LazyWireVerifier, WorkerWireVerifier, type WireVerifier, type WorkerLike } from './wire-verifier.js';
import { readViewCache, type CachedView } from './view-cache.js';

export interface OpenOptions {
  /** The room id (its secret stays on the page, with the network). */
  readonly roomId: string;
  /** Creates the board if this replica starts the room. */
  readonly create: boolean;
  readonly name: string;
}

export interface OpenInfo {
  readonly author: string;
  readonly replicaId: string;
  readonly slot: number;
  readonly verifier: string;
  readonly loadedOps: number;
  readonly openMs: number;
}

export type CommandResult =
  | { readonly ok: true; readonly opId: string | null }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * What the worker pushes to a subscriber, one message each, over a
 * MessagePort the page hands over: one-way, so a patch costs one message and
 * no reply (comlink callbacks answer every call).
 */
export type SubscriberMessage =
  /** A part of the first, full board patch (WorkerApi.subscribe), as JSON; parts come first, in order. */
  | { readonly kind: 'first'; readonly json: string; readonly last: boolean }
  | { readonly kind: 'board'; readonly value: BoardPatch }
  | { readonly kind: 'events'; readonly value: BoardEvent[] }
  | { readonly kind: 'status'; readonly value: ReplicaStatus }
  | { readonly kind: 'sessions'; readonly value: SessionRow[] };

/** How long without page commands (and at least after a subscribe that sent only the changes since the cached view) before the worker checks that view against its own (REPL15). */
export const SETTLE_VIEW_MS = 1_000;

/** Stories per part of the first board patch (subscribe): ~1 MB of JSON. */
export const FIRST_PART = 1_000;

export interface WorkerApi {
  open(options: OpenOptions): Promise<OpenInfo>;
  /**
   * The cached first screen of the room being opened (REPL15), as the JSON
   * of a `FirstScreen` (a full patch of each column's top stories, with the
   * columns' sizes), with the whole board as a Blob of a full patch's JSON
   * when the record holds one — or why there is none. Answered while `open` still
   * restores the document; call it right after `open`. Every other method
   * waits for `open` to finish (commands sent meanwhile run after it, in order).
   */
  cachedBoard(): Promise<CachedView>;
  /**
   * Subscribes a port (transferred) to SubscriberMessages. The first board
   * patch (full) comes first on the port, as JSON in parts of FIRST_PART
   * stories ('first' messages, the last one marked): one string clones as
   * one copy, JSON.parse on the page is faster than cloning 10,000 story
   * objects, and the page parses a part while the worker serialises the next.
   * `have`: the page already shows the whole board of the cached view of
   * that many log records (REPL15); when this worker kept the board at that
   * view as it opened (at it, or past it by its snapshot's tail), the first
   * patch is only what changed since (not full, one part), and the cached
   * board is checked against the worker's own once the page is idle a second.
   */
  subscribe(port: MessagePort, have?: number): Promise<void>;
  command(cmd: Command): Promise<CommandResult>;
  newStoryId(): Promise<string>;
  history(storyId: string): Promise<HistoryEntry[]>;
  dump(): Promise<ReplicaDump>;
  /** Writes the derived snapshot and the cached view now when they are due (REPL12, REPL15): before a planned close, and benches. */
  writeSnapshot(): Promise<'written' | 'not needed' | 'not yet' | 'blocked'>;
  exportLog(): Promise<Uint8Array>;
  importLog(file: Uint8Array): Promise<ImportReport>;
  retryPersist(): Promise<void>;
  setName(name: string): Promise<void>;
  /** Debug: make storage writes fail (null = recover). */
  simulateStorageFailure(kind: 'quota' | 'aborted' | null): Promise<void>;
  /** Sync sessions (tabs and WebRTC peers) with their progress. */
  sessions(): Promise<SessionRow[]>;
  /** Syncs with a peer over a connection the page holds (a transferred MessagePort). */
  connectPeer(peerId: string, port: MessagePort): Promise<void>;
  /**
   * Offers a port on which the page hands over each peer connection's frames
   * channel at its creation, with a control port (RTC25). Resolves whether
   * this worker can own data channels (it listens on the port only then).
   * The page posts on the port itself, so a failed transfer throws at once
   * and the frames stay on the page.
   */
  channelPort(port: MessagePort): Promise<boolean>;
  /** Closes WebRTC sessions (the page dropped its connections: offline). */
  disconnectPeers(reason: string): Promise<void>;
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/**
 * A verifier worker when this scope can start one and WebCrypto does Ed25519
 * (WebCrypto runs on the calling thread in Chromium, so a second thread is
 * what takes verification off the replica's); otherwise none, and the
 * replica verifies in its own thread.
 */
async function bestWireVerifier(): Promise<WireVerifier | undefined> {
  if (typeof Worker === 'undefined' || !(await hasWebCryptoEd25519())) return undefined;
  const inline = new InlineWireVerifier(globalThis.crypto.subtle);
  // Started on the first frames to check, not during the open (APP13).
  return new LazyWireVerifier(WorkerWireVerifier.NAME, () => {
    try {
      const worker = new Worker(new URL('./verify.worker.ts', import.meta.url), { type: 'module', name: 'huskies-verifier' });
      return new WorkerWireVerifier(worker as unknown as WorkerLike, inline);
    } catch {
      return inline;
    }
  });
}

/** Builds the API over the platform (IndexedDB, Web Locks, WebCrypto). */
export function createWorkerApi(options: { readonly firstPart?: number; readonly preload?: string } = {}): WorkerApi {
  const firstPart = options.firstPart ?? FIRST_PART;
  const preloadRoom = options.preload;
  let replica: Replica | undefined;
  let sync: RoomSync | undefined;
  let store: FailingOpStore | undefined;
  let name = '';
  let opening: Promise<Replica> | undefined;
  let markOpened: ((r: Replica | Error) => void) | undefined;
  // The cached view, read first thing in `open` and handed out once (REPL15):
  // the worker keeps no copy of its 10 MB once the page has it.
  let cachedView: CachedView | undefined;
  let markViewRead: (() => void) | undefined;
  const viewRead = new Promise<void>((resolve) => { markViewRead = resolve; });
  const setView = (v: CachedView) => { if (cachedView === undefined) { cachedView = v; viewBoard = v.ok ? v.board : undefined; markViewRead!(); } };
  /** The cached whole board handed to the page, kept to check it against the worker's own (REPL15). */
  let viewBoard: Blob | string | undefined;
  const need = (): Replica => {
    if (!replica) throw new Error('the replica is not open');
    return replica;
  };
  /** The replica once `open` has finished: calls made while it runs wait for it (REPL15). */
  const ready = async (): Promise<Replica> => replica ?? (opening ? await opening : need());
  /** Starts a sync session on a handed-over frames channel once it opens and the log is loaded (RTC25, REPL13); frames wait in it until then. */
  const attachWhenReady = async (transport: ChannelTransport): Promise<void> => {
    try {
      await (await ready()).logReady();
    } catch {
      transport.close('sync is off');
      return;
    }
    transport.onOpen(() => { if (!transport.closed) sync?.attachChannel(transport); });
  };
  /** A room's replica loaded (store, cached view, log, identity and keys), before the page's options are known. */
  interface Loaded {
    readonly replica: Replica;
    readonly slot: number;
    readonly verifier: string;
    /** performance.now() when the load started. */
    readonly t0: number;
  }
  /** Loads a room's replica: everything of the open that needs only the room id. */
  async function loadRoom(roomId: string): Promise<Loaded> {
    const t0 = performance.now();
    const idb = await IdbOpStore.open(roomId);
    store = new FailingOpStore(idb);
    const locks = (globalThis.navigator as { locks?: LockPort } | undefined)?.locks;
    // The cached view first (REPL15): the page paints it while the document
    // restores. The log is read once the view is read and checked; its answer
    // to cachedBoard is posted (microtasks) long before the snapshot read ends.
    const view = readViewCache(idb, idb, () => performance.now());
    void view.then((v) => {
      setView(v);
      if (v.ok) console.info(`[huskies] open: view cache read ${v.ms.read.toFixed(0)} ms (${(v.json.length / 1e6).toFixed(1)} M chars), checked against the log ${v.ms.check.toFixed(0)} ms, ${(performance.now() - t0).toFixed(0)} ms after the load started`);
    });
    const viewPosted = view.then(() => undefined);
    // Reading the log (snapshot + tail) needs no identity: it runs while the
    // identity slot is claimed and the keys are imported.
    const log = Replica.loadLog(store, idb, () => Date.now(), viewPosted);
    log.catch(() => undefined); // awaited below
    const identity = await claimIdentity(idb, roomId, () => randomBytes(32), locks);
    const [signer, verifier, wireVerifier] = await Promise.all([bestSigner(identity.seed), bestVerifier(), bestWireVerifier()]);
    const setupMs = performance.now() - t0;
    const cached = await view.then((v) => (v.ok ? { ok: true as const, upTo: v.upTo } : v));
    const r = await Replica.open({
      roomId, store, meta: idb, sealStore: idb, signer, verifier, ...(wireVerifier ? { wireVerifier } : {}),
      now: () => Date.now(), randomBytes, schedule: timerSchedule(), ...(cached.ok ? { viewCacheCovers: cached.upTo } : {}),
    }, log);
    const opened = r.openReport();
    const phases = Object.entries(opened.openMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    console.info(`[huskies] open: ${r.doc.opCount} ops from the ${opened.openedFrom}${opened.ignored ? ` (snapshot not used: ${opened.ignored})` : ''}; view cache ${cached.ok ? `used (${cached.upTo} ops)` : `not used: ${cached.reason}`}; restored ${opened.restoredOps}, replayed ${opened.replayedOps}; ms: store/identity/keys ${setupMs.toFixed(0)} (overlapping the log), ${phases}`);
    void r.logReady().then(() => console.info(`[huskies] open: the whole log is loaded ${(performance.now() - t0).toFixed(0)} ms after the load started`), () => undefined);
    return { replica: r, slot: identity.slot, verifier: verifier.name, t0 };
  }
  // APP13: a worker started for a room (its name says which) loads it at
  // once, while the page still loads its own code; `open` then takes it over.
  const preloading = preloadRoom === undefined ? undefined : loadRoom(preloadRoom);
  preloading?.catch(() => undefined); // reported by `open`
  /** The open itself: the room's replica (preloaded or loaded now), then the board, the name and sync. */
  async function openReplica(options: OpenOptions): Promise<OpenInfo> {
    name = options.name;
    if (preloading && preloadRoom !== options.roomId) throw new Error('this worker was started for another room');
    const { replica: r, slot, verifier, t0 } = await (preloading ?? loadRoom(options.roomId));
    replica = r;
    if (options.create && !r.view().initialised) await r.initBoard();
    // The display name lives in the board: write it once the board exists here
    // (a joining replica receives the board from a peer first).
    const writeName = async () => { if (name && r.view().initialised && r.view().names[r.author] !== name) await r.command({ type: 'set-name', name }); };
    if (r.view().initialised) await writeName();
    else {
      const off = r.onBoard((p) => { if (p.meta?.initialised) { off(); void writeName().catch(() => undefined); } });
    }
    sync = new RoomSync({ replica: r, roomId: options.roomId, name: () => name, schedule: timerSchedule() });
    // Sync serves ops from the decoded log: after an open from a snapshot it
    // starts once the prefix is loaded in the background (REPL13); peers
    // that connect before then wait in attachPort.
    const s = sync;
    void r.logReady().then(() => s.start(), (e: unknown) => console.error(`[huskies] sync stays off: ${String(e)}`));
    return { author: r.author, replicaId: r.replicaId, slot, verifier, loadedOps: r.doc.opCount, openMs: performance.now() - t0 };
  }
  return {
    async open(options) {
      if (replica || opening) throw new Error('already open');
      opening = new Promise<Replica>((resolve, reject) => { markOpened = (r) => (r instanceof Error ? reject(r) : resolve(r)); });
      opening.catch(() => undefined); // callers of ready() see the failure
      try {
        const info = await openReplica(options);
        markOpened!(need());
        return info;
      } catch (e) {
        setView({ ok: false, reason: 'the open failed' });
        markOpened!(e instanceof Error ? e : new Error(String(e)));
        throw e;
      }
    },
    async cachedBoard() {
      await viewRead;
      const v = cachedView!;
      cachedView = { ok: false, reason: 'already handed out' };
      return v;
    },
    async subscribe(port, have) {
      const r = await ready();
      const send = (m: SubscriberMessage) => port.postMessage(m);
      // Events go just ahead of the board patch that shows them, the last FEED_LIMIT at most (what the page
      // keeps): the replica coalesces a catch-up's patches (every 16–128 ms), so the events of the batches
      // in between are cloned to the page once, not batch by batch.
      let events: BoardEvent[] = [];
      r.onEvents((value) => {
        for (const e of value) events.push(e);
        if (events.length > 2 * FEED_LIMIT) events = events.slice(-FEED_LIMIT);
      });
      r.onBoard((value) => {
        if (events.length > 0) send({ kind: 'events', value: events.length > FEED_LIMIT ? events.slice(-FEED_LIMIT) : events });
        events = [];
        send({ kind: 'board', value });
      });
      r.onStatus((value) => send({ kind: 'status', value }));
      sync?.onChange((value) => send({ kind: 'sessions', value }));
      const board = viewBoard;
      viewBoard = undefined;
      const delta = have === undefined ? undefined : r.patchSince(have);
      if (delta) {
        send({ kind: 'first', json: JSON.stringify(delta), last: true });
        // After the open's rush, and not while the person works: the check reads and serialises 10 MB.
        r.whenPageIdle(SETTLE_VIEW_MS, () => void r.settleCachedView(board));
        return;
      }
      void r.settleCachedView();
      const full = r.fullPatch();
      const stories = full.upserts;
      for (let i = 0; ; i += firstPart) {
        const part = stories.slice(i, i + firstPart);
        const last = i + firstPart >= stories.length;
        send({ kind: 'first', json: JSON.stringify(i === 0 ? { ...full, upserts: part } : part), last });
        if (last) return;
      }
    },
    async command(cmd) {
      try {
        return { ok: true, opId: await (await ready()).command(cmd, true) };
      } catch (e) {
        if (e instanceof CommandError) return { ok: false, code: e.code, message: e.message };
        return { ok: false, code: 'error', message: e instanceof Error ? e.message : String(e) };
      }
    },
    async newStoryId() { return (await ready()).newStoryId(); },
    async history(storyId) { return (await ready()).history(storyId); },
    async dump() { return (await ready()).dump(); },
    async writeSnapshot() { return (await ready()).writeSnapshot(); },
    async exportLog() { return (await ready()).exportLog(); },
    async importLog(file) { return (await ready()).importLog(file); },
    async retryPersist() { (await ready()).retryPersist(); },
    async setName(n) {
      name = n;
      const r = await ready();
      if (r.view().initialised) await r.command({ type: 'set-name', name: n });
    },
    async simulateStorageFailure(kind) {
      const r = await ready();
      if (!store) return;
      store.failWhile = kind ?? undefined;
      if (kind === null) r.retryPersist();
    },
    async sessions() { await ready(); return sync?.sessionRows() ?? []; },
    async connectPeer(peerId, port) {
      const r = await ready();
      // Messages wait in the port until the session starts (REPL13).
      void r.logReady().then(() => sync?.attachPort(peerId, port as unknown as PortLike), () => undefined);
    },
    async channelPort(port) {
      if (typeof (globalThis as { RTCDataChannel?: unknown }).RTCDataChannel !== 'function') { port.close(); return false; }
      port.onmessage = (event: MessageEvent) => {
        const m = event.data as { peerId?: unknown; control?: unknown; channel?: unknown } | null;
        if (typeof m?.peerId !== 'string' || !(m.control instanceof MessagePort)) return;
        // In this task, before any await: a channel's events are lost without a listener.
        const transport = serveChannel(m.peerId, m.control as unknown as ControlPort, m.channel);
        if (transport) void attachWhenReady(transport);
      };
      return true;
    },
    async disconnectPeers(reason) { await ready(); sync?.closeRemote(reason); },
  };
}
