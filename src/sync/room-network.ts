// The page's side of peer-to-peer sync (DESIGN §4). WebRTC exists only on a
// window, so the page runs the signalling client and the peer manager, and
// hands every connected WebRTC transport to the replica worker as a
// MessagePort (see port-transport.ts). It holds no CRDT logic and no board
// data: it moves encrypted signalling and opaque frames.
import { createPeerManager, type PeerManager, type PeerStatus } from './peer-manager.js';
import { bridgeTransport, type PortLike } from './port-transport.js';
import { createRoomCipher } from './room-crypto.js';
import type { RoomCredentials } from './room-link.js';
import { createSignallingClient, type SignallingClient, type SignallingState } from './signalling-client.js';
import type { Transport } from './transport.js';

export interface RoomNetworkOptions {
  readonly room: RoomCredentials;
  readonly replicaId: string;
  readonly name: string;
  /** ws(s)://host/relay */
  readonly relayUrl: string;
  /** STUN/TURN servers for peers behind NAT (operator setting). */
  readonly iceServers?: RTCIceServer[];
  /** Receives a port per connected peer; the worker syncs over it. */
  readonly connect: (peerId: string, port: MessagePort) => void;
}

export interface NetworkStatus {
  readonly relay: SignallingState | null;
  readonly peers: PeerStatus[];
  readonly online: boolean;
}

export class RoomNetwork {
  private signalling: SignallingClient | undefined;
  private manager: PeerManager | undefined;
  private readonly bridges = new Set<() => void>();
  private readonly listeners = new Set<(s: NetworkStatus) => void>();
  private online = true;

  constructor(private readonly options: RoomNetworkOptions) {}

  /** Connects to the relay and starts meeting peers. */
  async start(): Promise<void> {
    if (this.signalling) return;
    const { room, replicaId, name, relayUrl } = this.options;
    const cipher = await createRoomCipher(room);
    const signalling = createSignallingClient({ url: relayUrl, cipher, replicaId, name });
    this.signalling = signalling;
    signalling.onState(() => this.emit());
    this.manager = createPeerManager({
      signalling,
      replicaId,
      iceServers: this.options.iceServers ?? [],
      onTransport: (t) => this.bridge(t),
    });
    this.manager.onChange(() => this.emit());
    this.emit();
  }

  private bridge(transport: Transport): void {
    const channel = new MessageChannel();
    const stop = bridgeTransport(transport, channel.port1 as unknown as PortLike);
    this.bridges.add(stop);
    transport.onClose(() => this.bridges.delete(stop));
    this.options.connect(transport.peerId, channel.port2);
  }

  /** The browser went offline or came back: drop or re-establish every connection. */
  async setOnline(online: boolean): Promise<void> {
    if (online === this.online) return;
    this.online = online;
    if (online) await this.start();
    else this.stop();
    this.emit();
  }

  status(): NetworkStatus {
    return { relay: this.signalling ? { ...this.signalling.state } : null, peers: this.manager?.peers() ?? [], online: this.online };
  }

  onStatus(listener: (s: NetworkStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) l(s);
  }

  private stop(): void {
    for (const stop of [...this.bridges]) stop();
    this.bridges.clear();
    this.manager?.close();
    this.signalling?.close();
    this.manager = undefined;
    this.signalling = undefined;
  }

  close(): void {
    this.stop();
    this.listeners.clear();
  }
}
