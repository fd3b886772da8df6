// The one module of the UI that talks to the replica worker (DESIGN §1,
// STYLE 12): it starts the worker, wraps it with comlink and forwards
// subscriptions. Components import this, never comlink or idb.
import { proxy, transfer, wrap, type Remote } from 'comlink';
import type { OpenOptions, OpenInfo, Subscriber, WorkerApi, CommandResult } from '../worker/api.js';
import type { BoardPatch, ImportReport, ReplicaDump, ReplicaStatus } from '../worker/replica.js';
import type { HistoryEntry } from '../worker/history.js';
import type { RoomSyncStatus, PeerRow } from '../worker/room-sync.js';
import type { BoardEvent, Command, StoryView, Stage, Kind, ArchiveReason, DepView, Settings } from '../pipeline/index.js';

export type {
  OpenOptions, OpenInfo, Subscriber, CommandResult, BoardPatch, ImportReport, ReplicaDump, ReplicaStatus,
  HistoryEntry, RoomSyncStatus, PeerRow, BoardEvent, Command, StoryView, Stage, Kind, ArchiveReason, DepView, Settings,
};
export { STAGES, KINDS, ARCHIVE_REASONS, rankBetween } from '../pipeline/index.js';
export { createRoom, formatRoomFragment, parseRoomLink, type RoomCredentials } from '../sync/room-link.js';

export class ReplicaClient {
  private readonly worker: Worker;
  private readonly api: Remote<WorkerApi>;

  constructor() {
    this.worker = new Worker(new URL('../worker/replica.worker.ts', import.meta.url), { type: 'module', name: 'huskies-replica' });
    this.api = wrap<WorkerApi>(this.worker);
  }

  open(options: OpenOptions): Promise<OpenInfo> {
    return this.api.open(options);
  }

  /** Subscribes to board patches, events, status and sync; resolves with the full board. */
  subscribe(subscriber: Subscriber): Promise<BoardPatch> {
    return this.api.subscribe(proxy(subscriber));
  }

  command(cmd: Command): Promise<CommandResult> {
    return this.api.command(cmd);
  }

  newStoryId(): Promise<string> {
    return this.api.newStoryId();
  }

  history(storyId: string): Promise<HistoryEntry[]> {
    return this.api.history(storyId);
  }

  dump(): Promise<ReplicaDump> {
    return this.api.dump();
  }

  exportLog(): Promise<Uint8Array> {
    return this.api.exportLog();
  }

  importLog(file: Uint8Array): Promise<ImportReport> {
    return this.api.importLog(transfer(file, [file.buffer as ArrayBuffer]));
  }

  retryPersist(): Promise<void> {
    return this.api.retryPersist();
  }

  setName(name: string): Promise<void> {
    return this.api.setName(name);
  }

  simulateStorageFailure(kind: 'quota' | 'aborted' | null): Promise<void> {
    return this.api.simulateStorageFailure(kind);
  }

  syncStatus(): Promise<RoomSyncStatus> {
    return this.api.syncStatus();
  }
}
