// The signalling client (docs/SPEC.md RTC7–RTC14): one WebSocket to the
// relay, subscribed to the room's hashed topic. Through it peers announce
// themselves and exchange WebRTC offers/answers/candidates, all sealed with the
// room key, so the relay only ever forwards opaque strings (RELAY1). It keeps
// itself alive (ping/pong), reconnects with capped exponential backoff and
// re-subscribes, paces its sends under the relay's rate limit, and reports its
// state so the UI can say "cannot reach the relay" or "wrong room secret".
import { encodeClientFrame, parseServerFrame, RATE_BURST, RATE_FRAMES_PER_SECOND } from '../protocol/relay-frames';
import { WRONG_ROOM_SECRET, type RoomCipher } from './room-crypto';
import { backoffDelay } from './backoff.js';

/** The part of a WebSocket this client uses: the browser's, or `ws` in Node. */
export interface SignallingSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** Time for backoff, keepalive and pacing; real timers in the app, a manual clock in tests. */
export interface SignallingClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SignallingOptions {
  /** Relay WebSocket URL, e.g. `wss://host/relay`. */
  url: string;
  /** The room's cipher; its topic is what we subscribe to (RTC4). */
  cipher: RoomCipher;
  /** This replica's id; the smaller id of a pair initiates WebRTC (RTC16). */
  replicaId: string;
  /** Display name shown in other peers' panels. */
  name: string;
  /** Opens a socket; default `new WebSocket(url)` (Node tests inject `ws`). */
  createSocket?: (url: string) => SignallingSocket;
  clock?: SignallingClock;
  /** Uniform [0, 1) for backoff jitter and session ids; inject a seeded one in tests. */
  random?: () => number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed attempts after which `state.unreachable` is set (RTC11). */
  unreachableAfter?: number;
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Re-announce period; peers not heard for `presenceTtlMs` are dropped (RTC9). */
  announceIntervalMs?: number;
  presenceTtlMs?: number;
}

export type SignallingStatus = 'connecting' | 'open' | 'closed';

export interface SignallingState {
  status: SignallingStatus;
  /** Consecutive connection attempts that failed (reset when a socket opens). */
  failures: number;
  /** `failures >= unreachableAfter`: tell the user the relay cannot be reached (RTC11). */
  unreachable: boolean;
  /** Frames in this room could not be opened and none could: the secret differs (RTC12). */
  wrongSecret: boolean;
  /** The last `error` frame reason from the relay, if any. */
  relayError: string | null;
  /** True after `close()`; the client never reconnects again. */
  stopped: boolean;
}

/** A peer heard in the room. `session` changes when that replica restarts its signalling. */
export interface AnnouncedPeer {
  id: string;
  name: string;
  session: string;
}

export type PeerEvent = { type: 'joined'; peer: AnnouncedPeer } | { type: 'left'; peerId: string };

export interface SignallingClient {
  /** A snapshot of the connection state. */
  readonly state: SignallingState;
  /** Peers currently announced in the room, excluding this replica. */
  peers(): AnnouncedPeer[];
  /** Sends a sealed signal to one peer; dropped silently while the relay is unreachable (RTC13). */
  signal(to: string, data: unknown): void;
  /** Calls `listener` with every signal addressed to this replica. Returns an unsubscribe. */
  onSignal(listener: (from: string, data: unknown) => void): () => void;
  /** Calls `listener` when a peer joins, restarts (left then joined) or leaves. */
  onPeer(listener: (event: PeerEvent) => void): () => void;
  /** Calls `listener` after every state change. */
  onState(listener: (state: SignallingState) => void): () => void;
  /** Says goodbye (best effort), closes the socket and stops reconnecting. */
  close(): void;
}

const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 64;
/** Opens waiting at once; beyond this a flood of inbound frames is dropped, not queued. */
const MAX_PENDING_OPENS = 256;
/** Outgoing frames waiting for rate tokens; beyond this the newest are dropped. */
const MAX_OUTBOX = 512;
/** First gap between announces sent in answer to undecryptable frames; it doubles up to the announce interval (RTC12). */
const NUDGE_MIN_INTERVAL_MS = 1_000;

export const realClock: SignallingClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export { backoffDelay } from './backoff.js';

export function createSignallingClient(options: SignallingOptions): SignallingClient {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SignallingSocket);
  const minBackoff = options.minBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const unreachableAfter = options.unreachableAfter ?? 3;
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const pingInterval = options.pingIntervalMs ?? 20_000;
  const pongTimeout = options.pongTimeoutMs ?? 10_000;
  const announceInterval = options.announceIntervalMs ?? 20_000;
  const presenceTtl = options.presenceTtlMs ?? 3 * announceInterval + 5_000;
  const { cipher, replicaId } = options;
  const name = options.name.slice(0, MAX_NAME_LENGTH);
  const session = Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32).toString(36)).join('');

  const state: SignallingState = {
    status: 'connecting', failures: 0, unreachable: false, wrongSecret: false, relayError: null, stopped: false,
  };
  const present = new Map<string, AnnouncedPeer & { lastSeen: number }>();
  const signalListeners = new Set<(from: string, data: unknown) => void>();
  const peerListeners = new Set<(event: PeerEvent) => void>();
  const stateListeners = new Set<(state: SignallingState) => void>();

  let socket: SignallingSocket | null = null;
  let opened = false;
  let generation = 0; // bumps on every new socket, so late seals and opens of an old one are dropped
  let connectTimer: unknown = null;
  let retryTimer: unknown = null;
  let pingTimer: unknown = null;
  let pongTimer: unknown = null;
  let announceTimer: unknown = null;
  let pumpTimer: unknown = null;
  let sendChain: Promise<void> = Promise.resolve();
  let openChain: Promise<void> = Promise.resolve();
  let pendingOpens = 0;
  let openedFrames = 0;
  let lastNudge = -Infinity;
  let nudgeGap = NUDGE_MIN_INTERVAL_MS;
  // Client-side token bucket a little under the relay's (RELAY8), so bursts of ICE candidates are paced, not punished.
  const rate = RATE_FRAMES_PER_SECOND * 0.8;
  const burst = RATE_BURST * 0.8;
  let tokens = burst;
  let tokensAt = clock.now();
  const outbox: string[] = [];

  function emitState(): void {
    const snapshot = { ...state };
    for (const listener of [...stateListeners]) listener(snapshot);
  }
  function emitPeer(event: PeerEvent): void {
    for (const listener of [...peerListeners]) listener(event);
  }
  function clear(timer: unknown): null {
    if (timer !== null) clock.clearTimeout(timer);
    return null;
  }

  function connect(): void {
    retryTimer = null;
    if (state.stopped) return;
    generation++;
    opened = false;
    state.status = 'connecting';
    emitState();
    let ws: SignallingSocket;
    try {
      ws = createSocket(options.url);
    } catch {
      // A malformed URL throws synchronously in browsers: count it as a failed attempt.
      socket = null;
      return down();
    }
    socket = ws;
    const mine = generation;
    ws.onopen = () => mine === generation && onOpen();
    ws.onmessage = (event) => mine === generation && onMessage(event.data);
    ws.onclose = () => mine === generation && down();
    ws.onerror = () => mine === generation && down();
    connectTimer = clock.setTimeout(() => down(), connectTimeout);
  }

  function onOpen(): void {
    connectTimer = clear(connectTimer);
    opened = true;
    state.status = 'open';
    state.failures = 0;
    state.unreachable = false;
    emitState();
    // RTC8: subscribe (again, after a reconnect) before announcing, so replies can reach us.
    enqueue(encodeClientFrame({ type: 'subscribe', topics: [cipher.topic] }));
    announce(false);
    schedulePing();
    scheduleAnnounce();
  }

  /** Tears down the current socket and schedules the next attempt (RTC10). */
  function down(): void {
    if (socket === null && state.status === 'closed') return;
    const ws = socket;
    const wasOpen = opened;
    socket = null;
    opened = false;
    generation++;
    connectTimer = clear(connectTimer);
    pingTimer = clear(pingTimer);
    pongTimer = clear(pongTimer);
    announceTimer = clear(announceTimer);
    pumpTimer = clear(pumpTimer);
    outbox.length = 0;
    if (ws) {
      detach(ws);
      try {
        ws.close();
      } catch {
        // already closed or never connected
      }
    }
    state.status = 'closed';
    if (!wasOpen) state.failures++;
    state.unreachable = state.failures >= unreachableAfter;
    emitState();
    if (state.stopped) return;
    retryTimer = clock.setTimeout(connect, backoffDelay(Math.max(0, state.failures - 1), random(), minBackoff, maxBackoff));
  }

  function schedulePing(): void {
    pingTimer = clock.setTimeout(() => {
      pingTimer = null;
      enqueue(encodeClientFrame({ type: 'ping' }));
      // RTC10: no pong in time means a dead path even if TCP has not noticed.
      pongTimer ??= clock.setTimeout(() => down(), pongTimeout);
      schedulePing();
    }, pingInterval);
  }

  function scheduleAnnounce(): void {
    announceTimer = clock.setTimeout(() => {
      announceTimer = null;
      announce(false);
      expirePeers();
      scheduleAnnounce();
    }, announceInterval);
  }

  function expirePeers(): void {
    const cutoff = clock.now() - presenceTtl;
    for (const [id, peer] of present) {
      if (peer.lastSeen < cutoff) {
        present.delete(id);
        emitPeer({ type: 'left', peerId: id });
      }
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return; // the relay only sends text
    const frame = parseServerFrame(data);
    if (!frame) return;
    if (frame.type === 'pong') {
      pongTimer = clear(pongTimer);
      return;
    }
    if (frame.type === 'error') {
      state.relayError = frame.reason;
      emitState();
      return;
    }
    if (frame.topic !== cipher.topic || pendingOpens >= MAX_PENDING_OPENS) return;
    pendingOpens++;
    const mine = generation;
    // Opened one after another, so signals reach the peer connection in the order they were sent.
    openChain = openChain.then(async () => {
      const result = await cipher.open(frame.data);
      pendingOpens--;
      if (mine !== generation || state.stopped) return;
      if (result.ok) deliver(result.value);
      else undecryptable(result.error);
    });
  }

  /** RTC12: a frame on our topic that does not open under our key. */
  function undecryptable(error: string): void {
    if (error === WRONG_ROOM_SECRET && openedFrames === 0 && !state.wrongSecret) {
      state.wrongSecret = true;
      emitState();
    }
    // Answer with our own announce (rate-limited), so a newcomer holding another
    // secret learns at once that it cannot read this room instead of waiting.
    // Two peers that cannot read each other would nudge each other forever, so the
    // gap doubles up to the announce interval and only resets when a frame opens.
    const now = clock.now();
    if (now - lastNudge >= nudgeGap) {
      lastNudge = now;
      nudgeGap = Math.min(announceInterval, nudgeGap * 2);
      announce(false);
    }
  }

  /** Validates an opened message (RTC14) and acts on it. Anything malformed is ignored. */
  function deliver(value: unknown): void {
    openedFrames++;
    nudgeGap = NUDGE_MIN_INTERVAL_MS;
    if (state.wrongSecret) {
      state.wrongSecret = false;
      emitState();
    }
    if (typeof value !== 'object' || value === null) return;
    const msg = value as Record<string, unknown>;
    if (!isId(msg.from) || msg.from === replicaId) return;
    const from = msg.from;
    if (msg.type === 'announce') {
      if (!isId(msg.session) || typeof msg.name !== 'string') return;
      const known = present.get(from);
      const peer = { id: from, name: msg.name.slice(0, MAX_NAME_LENGTH), session: msg.session, lastSeen: clock.now() };
      present.set(from, peer);
      if (known && known.session === msg.session) return;
      if (known) emitPeer({ type: 'left', peerId: from }); // it restarted: its old connection is stale
      emitPeer({ type: 'joined', peer: { id: peer.id, name: peer.name, session: peer.session } });
      if (msg.reply !== true) announce(true); // RTC9: tell the newcomer we are here
    } else if (msg.type === 'leave') {
      if (present.get(from)?.session !== msg.session) return;
      present.delete(from);
      emitPeer({ type: 'left', peerId: from });
    } else if (msg.type === 'signal') {
      if (msg.to !== replicaId || !('data' in msg)) return;
      for (const listener of [...signalListeners]) listener(from, msg.data);
    }
  }

  function announce(reply: boolean): void {
    publish({ type: 'announce', from: replicaId, name, session, reply });
  }

  /** Seals in call order, then queues the publish frame (RTC5). */
  function publish(message: Record<string, unknown>): void {
    if (!opened) return;
    const mine = generation;
    sendChain = sendChain.then(async () => {
      const data = await cipher.seal(message);
      if (mine === generation) enqueue(encodeClientFrame({ type: 'publish', topic: cipher.topic, data }));
    });
  }

  function enqueue(frame: string): void {
    if (!opened) return;
    if (outbox.length >= MAX_OUTBOX) return;
    outbox.push(frame);
    pump();
  }

  function pump(): void {
    pumpTimer = clear(pumpTimer);
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - tokensAt) / 1000) * rate);
    tokensAt = now;
    while (outbox.length > 0 && tokens >= 1 && socket) {
      tokens -= 1;
      socket.send(outbox.shift()!);
    }
    if (outbox.length > 0) pumpTimer = clock.setTimeout(pump, Math.ceil(((1 - tokens) / rate) * 1000));
  }

  connect();

  return {
    get state() {
      return { ...state };
    },
    peers: () => [...present.values()].map(({ id, name, session }) => ({ id, name, session })),
    signal(to, data) {
      publish({ type: 'signal', from: replicaId, to, data });
    },
    onSignal(listener) {
      signalListeners.add(listener);
      return () => signalListeners.delete(listener);
    },
    onPeer(listener) {
      peerListeners.add(listener);
      return () => peerListeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      if (state.stopped) return;
      const ws = socket;
      const wasOpen = opened;
      state.stopped = true;
      retryTimer = clear(retryTimer);
      if (wasOpen && ws) {
        // Best effort: the leave is sealed after whatever is queued, then the socket closes.
        const goodbye = cipher.seal({ type: 'leave', from: replicaId, session });
        socket = null;
        void sendChain.then(() => goodbye).then(
          (data) => {
            try {
              ws.send(encodeClientFrame({ type: 'publish', topic: cipher.topic, data }));
            } catch {
              // socket already gone
            }
            ws.close(1000, 'bye');
          },
          () => ws.close(1000, 'bye'),
        );
        detach(ws);
        opened = false;
        generation++;
        for (const t of [connectTimer, pingTimer, pongTimer, announceTimer, pumpTimer]) clear(t);
        connectTimer = pingTimer = pongTimer = announceTimer = pumpTimer = null;
        state.status = 'closed';
        emitState();
      } else {
        down();
      }
      present.clear();
    },
  };
}

/** Drops our handlers; keeps a no-op error handler because `ws` emits 'error' when a connecting socket is closed. */
function detach(ws: SignallingSocket): void {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.onerror = () => {};
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}
