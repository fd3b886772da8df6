// Connects a replica to its room (DESIGN §4): other tabs of this browser over
// BroadcastChannel, other browsers over WebRTC found through the signalling
// relay. Each connection gets one SyncSession (catch-up, then live); the peer
// manager reconnects WebRTC peers with backoff. Also the peers panel's data.
import { createPeerManager, type PeerManager, type PeerStatus } from '../sync/peer-manager.js';
import { BroadcastHub } from '../sync/broadcast-transport.js';
import { createRoomCipher } from '../sync/room-crypto.js';
import { createSignallingClient, type SignallingClient, type SignallingState } from '../sync/signalling-client.js';
import type { RoomCredentials } from '../sync/room-link.js';
import { SyncSession, type SessionState } from '../sync/sync-session.js';
import type { Transport } from '../sync/transport.js';
import type { Replica } from './replica.js';

export interface PeerRow {
  readonly id: string;
  readonly name: string;
  readonly via: 'tab' | 'webrtc';
  /** connecting / syncing / live (sync session), or the WebRTC connection state. */
  readonly state: string;
  readonly sent: number;
  readonly received: number;
  readonly failures: number;
}

export interface RoomSyncStatus {
  readonly relay: (Omit<SignallingState, 'relayError'> & { relayError?: string }) | null;
  readonly peers: PeerRow[];
}

export interface RoomSyncOptions {
  readonly replica: Replica;
  readonly roomId: string;
  readonly name: () => string;
  /** Room secret and relay URL for WebRTC; without them only tabs sync. */
  readonly room?: RoomCredentials;
  readonly relayUrl?: string;
  readonly iceServers?: RTCIceServer[];
}

interface Live { session: SyncSession; via: 'tab' | 'webrtc'; state: SessionState }

export class RoomSync {
  private readonly sessions = new Map<string, Live>();
  private hub: BroadcastHub | undefined;
  private signalling: SignallingClient | undefined;
  private manager: PeerManager | undefined;
  private readonly listeners = new Set<(s: RoomSyncStatus) => void>();

  constructor(private readonly options: RoomSyncOptions) {
    options.replica.setPeersProvider(() => this.status().peers);
  }

  /** Starts tab sync and, with room credentials, WebRTC sync. */
  async start(): Promise<void> {
    const { replica, roomId } = this.options;
    if (typeof BroadcastChannel !== 'undefined') {
      this.hub = new BroadcastHub({ roomId, replicaId: replica.replicaId });
      this.hub.onPeer((t) => this.attach(t, 'tab'));
      this.hub.start();
    }
    const { room, relayUrl } = this.options;
    if (room && relayUrl) {
      const cipher = await createRoomCipher(room);
      this.signalling = createSignallingClient({ url: relayUrl, cipher, replicaId: replica.replicaId, name: this.options.name() });
      this.signalling.onState(() => this.emit());
      this.manager = createPeerManager({
        signalling: this.signalling,
        replicaId: replica.replicaId,
        iceServers: this.options.iceServers ?? [],
        onTransport: (t) => this.attach(t, 'webrtc'),
      });
      this.manager.onChange(() => this.emit());
    }
  }

  private attach(transport: Transport, via: 'tab' | 'webrtc'): void {
    const key = `${via}:${transport.peerId}`;
    this.sessions.get(key)?.session.close('replaced');
    const session = new SyncSession(this.options.replica, transport, { name: this.options.name() });
    const live: Live = { session, via, state: 'connecting' };
    this.sessions.set(key, live);
    session.onStateChange((state) => {
      live.state = state;
      if (state === 'closed' && this.sessions.get(key) === live) this.sessions.delete(key);
      this.emit();
    });
    session.start();
    this.emit();
  }

  /** Relay state and every peer with its sync progress. */
  status(): RoomSyncStatus {
    const rtc = new Map<string, PeerStatus>((this.manager?.peers() ?? []).map((p) => [p.id, p]));
    const rows: PeerRow[] = [];
    for (const [key, live] of this.sessions) {
      const stats = live.session.stats();
      const id = key.slice(key.indexOf(':') + 1);
      const p = rtc.get(id);
      rtc.delete(id);
      rows.push({ id, name: stats.peerName ?? p?.name ?? '', via: live.via, state: live.state, sent: stats.sent, received: stats.received, failures: p?.failures ?? 0 });
    }
    for (const p of rtc.values()) rows.push({ id: p.id, name: p.name, via: 'webrtc', state: p.state, sent: 0, received: 0, failures: p.failures });
    rows.sort((a, b) => (a.name + a.id < b.name + b.id ? -1 : 1));
    const s = this.signalling?.state;
    return { relay: s ? { ...s, relayError: s.relayError ?? undefined } as RoomSyncStatus['relay'] : null, peers: rows };
  }

  onStatus(listener: (s: RoomSyncStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }

  close(): void {
    for (const live of this.sessions.values()) live.session.close('closing');
    this.sessions.clear();
    this.manager?.close();
    this.signalling?.close();
    this.hub?.close();
  }
}
