// The one module of the UI that talks to the replica worker (DESIGN §1,
// STYLE 12): it starts the worker, wraps it with comlink, and runs the
// page's share of networking (WebRTC lives only on a window), handing each
// peer connection to the worker as a MessagePort. Components import this,
// never comlink or idb.
import { transfer, wrap, type Remote } from 'comlink';
import type { OpenInfo, WorkerApi, CommandResult, SubscriberMessage } from '../worker/api.js';
import type { BoardPatch, ImportReport, ReplicaDump, ReplicaStatus } from '../worker/replica.js';
import type { HistoryEntry } from '../worker/history.js';
import type { SessionRow } from '../worker/room-sync.js';
import { STAGES } from '../pipeline/index.js';
import { RoomNetwork, type NetworkStatus } from '../sync/room-network.js';
import { replicaWorker } from './replica-worker.js';
import type { RoomCredentials } from '../sync/room-link.js';
import type { PeerStatus } from '../sync/peer-manager.js';
import type { BoardEvent, Command, StoryView, Stage, Kind, ArchiveReason, DepView, Settings, CriteriaChange, StoryPatch, CreateStoryInput } from '../pipeline/index.js';

export type {
  OpenInfo, CommandResult, BoardPatch, ImportReport, ReplicaDump, ReplicaStatus, HistoryEntry, SessionRow,
  NetworkStatus, PeerStatus, BoardEvent, Command, StoryView, Stage, Kind, ArchiveReason, DepView, Settings, RoomCredentials,
  CriteriaChange, StoryPatch, CreateStoryInput,
};
export { STAGES, KINDS, ARCHIVE_REASONS, FEED_LIMIT, isReady, rankBetween } from '../pipeline/index.js';
export { createRoom, formatRoomFragment, parseRoomLink } from '../sync/room-link.js';

export interface OpenOptions {
  readonly room: RoomCredentials;
  /** Creates the board if this replica starts the room. */
  readonly create: boolean;
  readonly name: string;
  /** ws(s)://host/relay; omitted → this browser's tabs only. */
  readonly relayUrl?: string;
  /** STUN/TURN servers for peers behind NAT. */
  readonly iceServers?: RTCIceServer[];
  /**
   * Where WebRTC frames are read and written (RTC25): 'auto' (default) hands
   * each frames channel to the worker where the browser allows it; 'page'
   * keeps them on the page and bridges them, as browsers without
   * transferable data channels do (tests cover that path with it).
   */
  readonly frames?: 'auto' | 'page';
}

/** What the peers panel shows: the relay, WebRTC peers and every sync session. */
export interface SyncStatus {
  readonly relay: NetworkStatus['relay'];
  readonly online: boolean;
  readonly peers: PeerStatus[];
  readonly sessions: SessionRow[];
}

/**
 * Sync status as the peers panel shows it. (Renamed from the worker-side
 * RoomSyncStatus: WebRTC now lives on the page, so peers come from the
 * page's RoomNetwork and sessions from the worker.)
 */
export type RoomSyncStatus = SyncStatus;

export interface Subscriber {
  board(patch: BoardPatch): void;
  events(events: BoardEvent[]): void;
  status(status: ReplicaStatus): void;
  sync(status: SyncStatus): void;
}

export class ReplicaClient {
  private readonly worker: Worker;
  private readonly api: Remote<WorkerApi>;
  private network: RoomNetwork | undefined;
  private sessions: SessionRow[] = [];
  private syncListener: ((s: SyncStatus) => void) | undefined;

  /** A client of the worker for `roomId` (the one the entry started for it, when it did: APP13). */
  constructor(roomId: string) {
    this.worker = replicaWorker(roomId);
    this.api = wrap<WorkerApi>(this.worker);
  }

  /** Opens the replica, then (with a relay URL) starts meeting peers. */
  async open(options: OpenOptions): Promise<OpenInfo> {
    const info = await this.api.open({ roomId: options.room.roomId, create: options.create, name: options.name });
    if (options.relayUrl) {
      // RTC25: where the worker can own data channels, each connection's frames
      // channel goes straight to it, posted here on a port of our own so that a
      // refused transfer throws now and the frames stay on the page.
      const handover = new MessageChannel();
      const channels = options.frames !== 'page' && await this.api.channelPort(transfer(handover.port2, [handover.port2])).catch(() => false);
      this.network = new RoomNetwork({
        room: options.room, replicaId: info.replicaId, name: options.name, relayUrl: options.relayUrl,
        ...(options.iceServers ? { iceServers: options.iceServers } : {}),
        connect: (peerId, port) => { void this.api.connectPeer(peerId, transfer(port, [port])); },
        ...(channels ? {
          connectChannel: (peerId: string, control: MessagePort, channel: RTCDataChannel): boolean => {
            try {
              handover.port1.postMessage({ peerId, control, channel }, [control, channel as unknown as Transferable]);
              return true;
            } catch {
              return false;
            }
          },
        } : {}),
      });
      this.network.onStatus(() => this.emitSync());
      await this.network.start();
    }
    return info;
  }

  /**
   * The first screen of the board as the worker cached it (REPL15) — the
   * top stories of every column and every column's size — for painting
   * while the worker still opens; or why there is none. Call right after
   * `open` (without awaiting it). `whole`, when the cache holds it, is the
   * whole board of the same view, to read with `readWholeBoard`. The worker's
   * own board from `subscribe` always follows.
   */
  async cachedBoard(): Promise<{ readonly ok: true; readonly patch: BoardPatch; readonly totals: Readonly<Record<Stage, number>>; readonly parseMs: number; readonly upTo: number; readonly whole: Blob | string | undefined } | { readonly ok: false; readonly reason: string }> {
    const cached = await this.api.cachedBoard();
    if (!cached.ok) return cached;
    const t0 = performance.now();
    const screen = parsePatch(cached.json, 'a first screen of a board') as (BoardPatch & { totals?: Partial<Record<Stage, unknown>> }) | string;
    if (typeof screen === 'string') return { ok: false, reason: screen };
    if (typeof screen.totals !== 'object' || screen.totals === null || !STAGES.every((st) => Number.isSafeInteger(screen.totals![st]))) {
      return { ok: false, reason: 'not a first screen of a board' };
    }
    return { ok: true, patch: screen, totals: screen.totals as Record<Stage, number>, parseMs: performance.now() - t0, upTo: cached.upTo, whole: cached.board };
  }

  /**
   * Reads the whole board of the cached view (`cachedBoard`'s `whole`) here
   * on the page, while the worker restores; start it at once, parse it
   * with `parseWholeBoard` once the first screen is painted (REPL15).
   */
  async readWholeBoard(whole: Blob | string): Promise<{ readonly ok: true; readonly text: string; readonly readMs: number } | { readonly ok: false; readonly reason: string }> {
    try {
      const t0 = performance.now();
      const text = typeof whole === 'string' ? whole : await whole.text();
      return { ok: true, text, readMs: performance.now() - t0 };
    } catch (e) {
      return { ok: false, reason: `could not read it: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Parses a cached whole board read by `readWholeBoard`: `subscribe` with the view's `upTo` then brings only what changed since (REPL15). */
  parseWholeBoard(text: string): { readonly ok: true; readonly patch: BoardPatch; readonly parseMs: number } | { readonly ok: false; readonly reason: string } {
    const t0 = performance.now();
    const patch = parsePatch(text, 'a whole board');
    return typeof patch === 'string' ? { ok: false, reason: patch } : { ok: true, patch, parseMs: performance.now() - t0 };
  }

  /**
   * Subscribes to board patches, events, status and sync; resolves with the
   * full board — or, given `have` (the `upTo` of the cached whole board the
   * page shows), with what changed since, when the worker opened at exactly
   * that view (REPL15). The worker pushes them one way over a port of their own (no
   * reply per message, unlike a comlink callback), in the order it sent them.
   */
  async subscribe(subscriber: Subscriber, have?: number): Promise<BoardPatch> {
    this.syncListener = (s) => subscriber.sync(s);
    const { port1, port2 } = new MessageChannel();
    const deliver = (m: SubscriberMessage) => {
      switch (m.kind) {
        case 'board': subscriber.board(m.value); break;
        case 'events': subscriber.events(m.value); break;
        case 'status': subscriber.status(m.value); break;
        case 'sessions': this.sessions = m.value; this.emitSync(); break;
      }
    };
    // Patches are newer than the full board this call returns, and may
    // arrive before it: hold them until the caller has applied the full
    // board (its `await` resumes before a new task), then deliver in order.
    let held: SubscriberMessage[] | null = [];
    // The first board comes first, in parts: each is parsed as it arrives,
    // while the worker serialises the next.
    let first: BoardPatch | undefined;
    let firstDone!: (p: BoardPatch) => void;
    const firstBoard = new Promise<BoardPatch>((resolve) => { firstDone = resolve; });
    port1.onmessage = (e: MessageEvent<SubscriberMessage>) => {
      const m = e.data;
      if (m.kind === 'first') {
        if (first === undefined) first = JSON.parse(m.json) as BoardPatch;
        else for (const s of JSON.parse(m.json) as StoryView[]) first.upserts.push(s);
        if (m.last) firstDone(first);
      } else if (held) held.push(m);
      else deliver(m);
    };
    await this.api.subscribe(transfer(port2, [port2]), have);
    const full = await firstBoard;
    setTimeout(() => { const early = held ?? []; held = null; for (const m of early) deliver(m); }, 0);
    return full;
  }

  private emitSync(): void {
    this.syncListener?.(this.syncStatusNow());
  }

  private syncStatusNow(): SyncStatus {
    const n = this.network?.status();
    return { relay: n?.relay ?? null, online: n?.online ?? true, peers: n?.peers ?? [], sessions: this.sessions };
  }

  /** The relay, peers and sessions right now. */
  async syncStatus(): Promise<SyncStatus> {
    this.sessions = await this.api.sessions();
    return this.syncStatusNow();
  }

  /** Forwards the browser's online/offline state: offline drops every peer connection; online meets peers again. */
  async setOnline(online: boolean): Promise<void> {
    if (!online) await this.api.disconnectPeers('offline');
    await this.network?.setOnline(online);
  }

  /** Commands sent so far: the worker counts them in the same order, and board patches report how many they reflect (UI17). */
  commandsSent = 0;
  command(cmd: Command): Promise<CommandResult> { this.commandsSent++; return this.api.command(cmd); }
  newStoryId(): Promise<string> { return this.api.newStoryId(); }
  history(storyId: string): Promise<HistoryEntry[]> { return this.api.history(storyId); }
  dump(): Promise<ReplicaDump> { return this.api.dump(); }
  /** Writes the snapshot and the cached view now when they are due (benches: a room's holder has long written them). */
  writeSnapshot(): Promise<'written' | 'not needed' | 'not yet' | 'blocked'> { return this.api.writeSnapshot(); }
  exportLog(): Promise<Uint8Array> { return this.api.exportLog(); }
  importLog(file: Uint8Array): Promise<ImportReport> { return this.api.importLog(transfer(file, [file.buffer as ArrayBuffer])); }
  retryPersist(): Promise<void> { return this.api.retryPersist(); }
  setName(name: string): Promise<void> { return this.api.setName(name); }
  simulateStorageFailure(kind: 'quota' | 'aborted' | null): Promise<void> { return this.api.simulateStorageFailure(kind); }
}

/**
 * A cached board patch's JSON (REPL15), checked for the shape the page
 * folds (a full patch: stories, removed ids, meta), or why it is not one.
 * It reflects none of this page's commands (UI17): none were sent before it.
 */
function parsePatch(json: string, what: string): BoardPatch | string {
  let p: Partial<BoardPatch> | null;
  try {
    p = JSON.parse(json) as Partial<BoardPatch> | null;
  } catch (e) {
    return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof p !== 'object' || p === null || p.full !== true || !Array.isArray(p.upserts) || !Array.isArray(p.removed) || typeof p.meta !== 'object' || p.meta === null) {
    return `not ${what}`;
  }
  return { ...(p as BoardPatch), commands: 0 };
}
