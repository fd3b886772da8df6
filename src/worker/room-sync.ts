// Connects a replica to its room (DESIGN §4): other tabs of this browser over
// BroadcastChannel, and other browsers over WebRTC connections that the page
// holds (WebRTC exists only on a window) and hands in as MessagePorts. Each
// connection gets one SyncSession (catch-up, then live).
import { BroadcastHub } from '../sync/broadcast-transport.js';
import { PortTransport, type PortLike } from '../sync/port-transport.js';
import { HelloGate, type GateSchedule } from '../sync/hello-gate.js';
import { SyncSession, type SessionState } from '../sync/sync-session.js';
import type { Transport } from '../sync/transport.js';
import type { Replica } from './replica.js';

/** One sync session as the peers panel shows it. */
export interface SessionRow {
  readonly id: string;
  readonly name: string;
  readonly via: 'tab' | 'webrtc';
  /** Where a WebRTC session's frames are read and written: in this worker (RTC25), or on the page, bridged over a port. */
  readonly frames: 'worker' | 'page' | null;
  /** connecting / syncing / live / closed */
  readonly state: SessionState;
  readonly sent: number;
  readonly received: number;
  /** The catch-up's size as the peer announced it (SYNC16): `received` of `expected` while syncing. */
  readonly expected: number;
  /** Its hello waits for another peer's catch-up (SYNC17). */
  readonly held: boolean;
  readonly queued: number;
  /** Frame bytes received and sent; `deflate`: the peer reads deflated messages, so ops go to it deflated (SYNC19). */
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly deflate: boolean;
}

export interface RoomSyncOptions {
  readonly replica: Replica;
  readonly roomId: string;
  readonly name: () => string;
  /** Timers for holding a hello while a big catch-up runs (SYNC17). */
  readonly schedule: GateSchedule;
}

interface Live { session: SyncSession; via: 'tab' | 'webrtc'; frames: SessionRow['frames']; state: SessionState }

export class RoomSync {
  private readonly sessions = new Map<string, Live>();
  private hub: BroadcastHub | undefined;
  private readonly listeners = new Set<(rows: SessionRow[]) => void>();
  private readonly gate: HelloGate;

  constructor(private readonly options: RoomSyncOptions) {
    options.replica.setPeersProvider(() => this.sessionRows());
    this.gate = new HelloGate(options.schedule);
  }

  /** Starts syncing with the other tabs of this browser. */
  start(): void {
    const { replica, roomId } = this.options;
    if (typeof BroadcastChannel === 'undefined') return;
    this.hub = new BroadcastHub({ roomId, replicaId: replica.replicaId });
    this.hub.onPeer((t) => this.attach(t, 'tab'));
    this.hub.start();
  }

  /** Syncs over a connection the page made (a WebRTC peer bridged through `port`). */
  attachPort(peerId: string, port: PortLike): void {
    this.attach(new PortTransport(peerId, port), 'webrtc', 'page');
  }

  /** Syncs over a WebRTC frames channel the page handed to this worker (RTC25). */
  attachChannel(transport: Transport): void {
    this.attach(transport, 'webrtc', 'worker');
  }

  private attach(transport: Transport, via: 'tab' | 'webrtc', frames: SessionRow['frames'] = null): void {
    const key = `${via}:${transport.peerId}`;
    this.sessions.get(key)?.session.close('replaced');
    // Between tabs of one browser nothing is worth deflating: a tab session sends no caps (SYNC19), so neither side deflates.
    const session = new SyncSession(this.options.replica, transport, { name: this.options.name(), caps: via === 'webrtc' });
    const live: Live = { session, via, frames, state: 'connecting' };
    this.sessions.set(key, live);
    session.onStateChange((state) => {
      live.state = state;
      if (state === 'closed' && this.sessions.get(key) === live) this.sessions.delete(key);
      this.gate.changed();
      this.emit();
    });
    session.onProgress(() => { this.gate.changed(); this.emit(); });
    // SYNC17: while another peer's big catch-up is coming, this peer's would repeat it.
    session.start(this.gate.hold(() => [...this.sessions.values()].filter((l) => l !== live).map((l) => {
      const st = l.session.stats();
      return { syncing: l.state === 'syncing', remaining: st.expected - st.received };
    })));
    this.emit();
  }

  /** Every open session with its progress. */
  sessionRows(): SessionRow[] {
    const rows: SessionRow[] = [];
    for (const [key, live] of this.sessions) {
      const stats = live.session.stats();
      rows.push({
        id: key.slice(key.indexOf(':') + 1), name: stats.peerName ?? '', via: live.via, frames: live.frames, state: live.state,
        sent: stats.sent, received: stats.received, expected: stats.expected, held: stats.held, queued: stats.queued,
        bytesReceived: stats.bytesReceived, bytesSent: stats.bytesSent, deflate: stats.deflate,
      });
    }
    return rows.sort((a, b) => (a.name + a.id < b.name + b.id ? -1 : 1));
  }

  onChange(listener: (rows: SessionRow[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const rows = this.sessionRows();
    for (const l of this.listeners) l(rows);
  }

  /** Closes WebRTC sessions (the page closes their connections when the browser goes offline). */
  closeRemote(reason: string): void {
    for (const [key, live] of this.sessions) if (live.via === 'webrtc') { live.session.close(reason); this.sessions.delete(key); }
    this.emit();
  }

  close(): void {
    for (const live of this.sessions.values()) live.session.close('closing');
    this.sessions.clear();
    this.hub?.close();
  }
}
