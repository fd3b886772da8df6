// The peer manager (docs/SPEC.md RTC16, RTC20–RTC23): for one room it
// turns announcements from the signalling client into one WebRTC connection
// per peer, hands each connected transport to the sync layer, and reconnects
// while the peer is still announced. Its peer list feeds the peers panel.
import { backoffDelay } from './backoff.js';
import { realClock, type SignallingClient, type SignallingClock } from './signalling-client';
import type { Transport } from './transport';
import { WebRtcTransport, type PeerConnection } from './webrtc-transport';

export type PeerConnectionState = 'connecting' | 'connected' | 'failed' | 'closed';

/** One row of the peers panel. */
export interface PeerStatus {
  id: string;
  name: string;
  state: PeerConnectionState;
  /** Still announced in the room (present at the relay). */
  announced: boolean;
  /** Failed attempts since the last successful connection. */
  failures: number;
}

export interface ConnectionRequest {
  peerId: string;
  initiator: boolean;
  iceServers: RTCIceServer[];
  sendSignal: (data: unknown) => void;
}

export interface PeerManagerOptions {
  signalling: SignallingClient;
  /** This replica's id; the smaller id of a pair makes the offer, so offers never cross (RTC16). */
  replicaId: string;
  /** Receives every newly connected transport; the sync layer owns it from here. */
  onTransport: (transport: Transport) => void;
  /** STUN/TURN servers (RTC18); default `[]`. */
  iceServers?: RTCIceServer[];
  /** Makes a connection; default a WebRtcTransport. Tests inject fakes. */
  createConnection?: (request: ConnectionRequest) => PeerConnection;
  /** An attempt not connected by then is abandoned and counts as a failure (RTC21). */
  connectTimeoutMs?: number;
  clock?: SignallingClock;
  random?: () => number;
  /** Most peers tracked at once; signals naming further ids are ignored (RTC23). */
  maxPeers?: number;
}

export interface PeerManager {
  /** The peers panel: every announced or connected peer, sorted by name then id. */
  peers(): PeerStatus[];
  /** Calls `listener` after any peer's state or presence changes. Returns an unsubscribe. */
  onChange(listener: (peers: PeerStatus[]) => void): () => void;
  /** Closes every connection and stops reacting to signalling (the caller closes the signalling client). */
  close(): void;
}

interface Entry {
  id: string;
  name: string;
  announced: boolean;
  state: PeerConnectionState;
  failures: number;
  conn: PeerConnection | null;
  /** Names the current attempt, so signals of an abandoned attempt are not mixed into a new one. */
  attempt: string | null;
  retryTimer: unknown;
  timeoutTimer: unknown;
}

const MAX_ATTEMPT_ID_LENGTH = 64;

export function createPeerManager(options: PeerManagerOptions): PeerManager {
  const { signalling, replicaId } = options;
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const iceServers = options.iceServers ?? [];
  const connectTimeout = options.connectTimeoutMs ?? 20_000;
  const maxPeers = options.maxPeers ?? 64;
  const createConnection = options.createConnection ?? ((request) => new WebRtcTransport(request));
  const entries = new Map<string, Entry>();
  const listeners = new Set<(peers: PeerStatus[]) => void>();
  let stopped = false;

  const isInitiator = (peerId: string) => replicaId < peerId;

  function peers(): PeerStatus[] {
    return [...entries.values()]
      .map(({ id, name, state, announced, failures }) => ({ id, name, state, announced, failures }))
      .sort((a, b) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1));
  }
  function changed(): void {
    const snapshot = peers();
    for (const listener of [...listeners]) listener(snapshot);
  }

  function entryFor(id: string, name?: string): Entry | null {
    let entry = entries.get(id);
    if (!entry) {
      if (entries.size >= maxPeers) return null;
      entry = {
        id, name: name ?? id, announced: false, state: 'closed', failures: 0,
        conn: null, attempt: null, retryTimer: null, timeoutTimer: null,
      };
      entries.set(id, entry);
    }
    if (name !== undefined) entry.name = name;
    return entry;
  }

  /** Opens a connection for `entry`; as initiator with a fresh attempt id, or as responder to `attempt`. */
  function open(entry: Entry, attempt: string, initiator: boolean): PeerConnection {
    drop(entry, 'superseded');
    entry.attempt = attempt;
    entry.state = 'connecting';
    const conn = createConnection({
      peerId: entry.id,
      initiator,
      iceServers,
      sendSignal: (sdp) => signalling.signal(entry.id, { attempt, sdp }),
    });
    entry.conn = conn;
    entry.timeoutTimer = clock.setTimeout(() => conn.close('connect-timeout'), connectTimeout);
    conn.onConnect(() => {
      if (entry.conn !== conn) return;
      entry.timeoutTimer = clear(entry.timeoutTimer);
      entry.state = 'connected';
      entry.failures = 0;
      changed();
      options.onTransport(conn);
    });
    conn.onClose(() => onClosed(entry, conn));
    changed();
    return conn;
  }

  function onClosed(entry: Entry, conn: PeerConnection): void {
    if (entry.conn !== conn || stopped) return;
    const wasConnected = entry.state === 'connected';
    entry.conn = null;
    entry.attempt = null;
    entry.timeoutTimer = clear(entry.timeoutTimer);
    if (!wasConnected) entry.failures++;
    entry.state = wasConnected ? 'closed' : 'failed';
    if (!entry.announced) {
      entries.delete(entry.id);
    } else if (isInitiator(entry.id)) {
      // RTC21: reconnect while the peer is announced, backing off over repeated failures.
      scheduleRetry(entry);
    }
    changed();
  }

  function scheduleRetry(entry: Entry): void {
    entry.retryTimer = clear(entry.retryTimer);
    entry.retryTimer = clock.setTimeout(() => {
      entry.retryTimer = null;
      if (!stopped && entry.announced && entry.conn === null && entries.get(entry.id) === entry) connectTo(entry);
    }, backoffDelay(Math.max(0, entry.failures - 1), random()));
  }

  function connectTo(entry: Entry): void {
    const attempt = Array.from({ length: 3 }, () => Math.floor(random() * 2 ** 32).toString(36)).join('');
    open(entry, attempt, true);
  }

  /** Closes the current connection of `entry` without the close counting as a failure. */
  function drop(entry: Entry, reason: string): void {
    const conn = entry.conn;
    entry.conn = null;
    entry.attempt = null;
    entry.timeoutTimer = clear(entry.timeoutTimer);
    conn?.close(reason);
  }

  function clear(timer: unknown): null {
    if (timer !== null) clock.clearTimeout(timer);
    return null;
  }

  const offPeer = signalling.onPeer((event) => {
    if (stopped) return;
    if (event.type === 'joined') {
      const entry = entryFor(event.peer.id, event.peer.name);
      if (!entry) return;
      entry.announced = true;
      // RTC16: only the smaller id offers; the other waits for the offer.
      if (isInitiator(entry.id) && entry.conn === null) {
        entry.retryTimer = clear(entry.retryTimer);
        connectTo(entry);
      }
      changed();
    } else {
      const entry = entries.get(event.peerId);
      if (!entry) return;
      entry.announced = false;
      entry.retryTimer = clear(entry.retryTimer);
      // RTC22: a connected peer stays (the channel, not the relay, says when it is gone); a pending attempt stops.
      if (entry.state !== 'connected') {
        drop(entry, 'peer-left');
        entries.delete(entry.id);
      }
      changed();
    }
  });

  const offSignal = signalling.onSignal((from, data) => {
    if (stopped || typeof data !== 'object' || data === null) return;
    const { attempt, sdp } = data as Record<string, unknown>;
    if (typeof attempt !== 'string' || attempt.length === 0 || attempt.length > MAX_ATTEMPT_ID_LENGTH) return;
    if (typeof sdp !== 'object' || sdp === null) return;
    const known = signalling.peers().find((p) => p.id === from);
    const entry = entryFor(from, entries.has(from) ? undefined : known?.name);
    if (!entry) return;
    if (isInitiator(from)) {
      // We offered: only answers/candidates of our current attempt count.
      if (entry.attempt === attempt && entry.conn) entry.conn.signal(sdp);
      return;
    }
    // We answer: a new attempt id means the initiator gave up on the old connection.
    if (entry.attempt !== attempt || entry.conn === null) {
      if (known) entry.announced = true;
      open(entry, attempt, false);
    }
    entry.conn?.signal(sdp);
  });

  return {
    peers,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (stopped) return;
      stopped = true;
      offPeer();
      offSignal();
      for (const entry of entries.values()) {
        entry.retryTimer = clear(entry.retryTimer);
        drop(entry, 'closed');
      }
      entries.clear();
      changed();
    },
  };
}
