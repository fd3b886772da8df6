// Browser harness for the sync e2e specs and browser benchmarks: runs the
// real replica worker (IndexedDB, WebCrypto, BroadcastChannel, WebRTC through
// the real relay) through the same client the app uses, and exposes
// `window.sync` for Playwright. No UI: the board tests cover that.
import { ReplicaClient, parseRoomLink, type BoardPatch, type StoryView, type SyncStatus } from '../../../src/ui/replica-client';

interface Harness {
  open(options: { create: boolean; name: string }): Promise<{ author: string; loadedOps: number; openMs: number }>;
  create(title: string): Promise<string>;
  move(storyId: string, stage: string): Promise<void>;
  rename(storyId: string, title: string): Promise<void>;
  purge(storyId: string): Promise<void>;
  stories(): { id: string; title: string; stage: string }[];
  storyCount(): number;
  /** ms timestamp (performance.now + timeOrigin) when a story with this title first appeared. */
  seenAt(title: string): number | undefined;
  dump(): Promise<{ totalOps: number; stateHash: string; buffered: number }>;
  /** The replica's seal counts (REPL17). */
  seals(): Promise<{ held: number; verified: number; rejected: number; opsSealed: number }>;
  sync(): Promise<SyncStatus>;
  importLog(base64: string): Promise<{ applied: number; rejected: number }>;
  setOnline(online: boolean): Promise<void>;
  /** The replica's cumulative per-phase timings of received ops (bench breakdown). */
  ingestStats(): Promise<unknown>;
  /** Waits until the replica holds at least n ops; resolves with ms since the call. */
  waitForOps(n: number): Promise<number>;
  /** Waits until at least n ops are written to IndexedDB and none is pending; resolves with ms since the call. */
  waitForPersisted(n: number): Promise<number>;
  /** Writes the snapshot and the cached view now when they are due. */
  writeSnapshot(): Promise<string>;
  /** Every catch-up progress the page was sent (SYNC16): per update, the syncing sessions' received of expected. */
  progress(): { received: number; expected: number }[][];
  /** Every status the page was sent: ms since open, ops held, ops written to IndexedDB. */
  persistTrace(): { at: number; ops: number; persisted: number }[];
}

declare global {
  interface Window { sync: Harness }
}

/** The page's client, once `open` has been called. */
let client!: ReplicaClient;
let stories = new Map<string, StoryView>();
const seen = new Map<string, number>();
let totalOps = 0;
let persisted = 0;
let persistPending = 0;
const opWaiters: { n: number; resolve: () => void }[] = [];
const persistWaiters: { n: number; resolve: () => void }[] = [];
const progress: { received: number; expected: number }[][] = [];
const persistTrace: { at: number; ops: number; persisted: number }[] = [];

function noteProgress(s: SyncStatus): void {
  const syncing = s.sessions.filter((r) => r.state === 'syncing' && r.expected > 0).map((r) => ({ received: r.received, expected: r.expected }));
  if (syncing.length > 0) progress.push(syncing);
}

function applyPatch(p: BoardPatch): void {
  // In place, as the app's BoardMirror does: a copy of the whole map per
  // patch made the page's cost grow with the board during a catch-up.
  if (p.full) stories = new Map<string, StoryView>();
  for (const id of p.removed) stories.delete(id);
  const at = performance.timeOrigin + performance.now();
  for (const s of p.upserts) { stories.set(s.id, s); if (!seen.has(s.title)) seen.set(s.title, at); }
}

async function command(cmd: Parameters<ReplicaClient['command']>[0]): Promise<void> {
  const r = await client.command(cmd);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
}

window.sync = {
  async open({ create, name }) {
    const parsed = parseRoomLink(location.hash);
    if (!parsed.ok) throw new Error(`bad room link: ${parsed.reason}`);
    const relayUrl = `ws://${location.host}/relay`;
    // ?frames=page: the frames stay on the page, as where workers cannot own data channels (RTC25).
    const frames = new URLSearchParams(location.search).get('frames') === 'page' ? 'page' as const : 'auto' as const;
    client = new ReplicaClient(parsed.room.roomId);
    const info = await client.open({ room: parsed.room, create, name, relayUrl, frames });
    applyPatch(await client.subscribe({
      board: applyPatch,
      events: () => {},
      status: (s) => {
        totalOps = s.totalOps;
        persisted = s.persist.persisted;
        persistPending = s.persist.pending;
        persistTrace.push({ at: performance.now(), ops: totalOps, persisted });
        for (const w of opWaiters.splice(0)) { if (totalOps >= w.n) w.resolve(); else opWaiters.push(w); }
        for (const w of persistWaiters.splice(0)) { if (persisted >= w.n && persistPending === 0) w.resolve(); else persistWaiters.push(w); }
      },
      sync: noteProgress,
    }));
    totalOps = info.loadedOps;
    document.getElementById('status')!.textContent = 'open';
    return info;
  },
  async create(title) {
    const id = await client.newStoryId();
    await command({ type: 'create', input: { id, kind: 'story', title } });
    return id;
  },
  async move(storyId, stage) { await command({ type: 'move', storyId, stage: stage as StoryView['stage'] }); },
  async rename(storyId, title) { await command({ type: 'edit', storyId, patch: { title } }); },
  async purge(storyId) { await command({ type: 'purge', storyId }); },
  stories() { return [...stories.values()].map((s) => ({ id: s.id, title: s.title, stage: s.stage })).sort((a, b) => (a.id < b.id ? -1 : 1)); },
  storyCount() { return stories.size; },
  seenAt(title) { return seen.get(title); },
  async dump() { const d = await client.dump(); return { totalOps: d.totalOps, stateHash: d.stateHash, buffered: d.buffered.count }; },
  sync() { return client.syncStatus(); },
  async importLog(base64) {
    const bin = atob(base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const r = await client.importLog(bytes);
    return { applied: r.applied, rejected: r.rejected.length };
  },
  setOnline(online) { return client.setOnline(online); },
  async ingestStats() { return (await client.dump()).ingest; },
  async seals() { return (await client.dump()).seals; },
  writeSnapshot() { return client.writeSnapshot(); },
  waitForPersisted(n) {
    const t0 = performance.now();
    if (persisted >= n && persistPending === 0) return Promise.resolve(0);
    return new Promise<void>((resolve) => persistWaiters.push({ n, resolve })).then(() => performance.now() - t0);
  },
  progress() { return progress; },
  persistTrace() { return persistTrace; },
  waitForOps(n) {
    const t0 = performance.now();
    if (totalOps >= n) return Promise.resolve(0);
    return new Promise<void>((resolve) => opWaiters.push({ n, resolve })).then(() => performance.now() - t0);
  },
};
document.getElementById('status')!.textContent = 'ready';
