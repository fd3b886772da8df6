// The page's side of peer-to-peer sync (DESIGN §4). A peer connection can only
// be made on a window, so the page runs the signalling client and the peer
// manager. Each connection's frames channel goes to the replica worker at
// creation (RTC25: the worker reads and writes it itself, and the page keeps
// a small control port to close it); where a browser cannot transfer data
// channels, the page bridges the frames over a MessagePort instead
// (port-transport.ts). It holds no CRDT logic and no board data.
import { createPeerManager, type PeerManager, type PeerStatus } from './peer-manager.js';
import { linkOver, type ControlPort, type FramesLink } from './frames-link.js';
import { WebRtcTransport } from './webrtc-transport.js';
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
  /** Receives a port per connected peer whose frames stayed on the page; the worker syncs over it. */
  readonly connect: (peerId: string, port: MessagePort) => void;
  /**
   * Given, each new connection's frames channel goes to the worker at once,
   * with a control port (RTC25): it must transfer both in the same task, and
   * returns false when the transfer was refused (the frames then stay here).
   */
  readonly connectChannel?: (peerId: string, port: MessagePort, channel: RTCDataChannel) => boolean;
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
      onTransport: (t) => { if (!(t instanceof WebRtcTransport && t.handedOff)) this.bridge(t); },
      ...(this.options.connectChannel ? { createConnection: (request) => new WebRtcTransport({ ...request, handOff: (channel) => this.handOff(request.peerId, channel) }) } : {}),
    });
    this.manager.onChange(() => this.emit());
    this.emit();
  }

  /** Sends a new connection's frames channel to the worker (RTC25); the page keeps the control port. */
  private handOff(peerId: string, channel: RTCDataChannel): FramesLink | undefined {
    const connectChannel = this.options.connectChannel;
    if (!connectChannel) return undefined;
    const control = new MessageChannel();
    if (!connectChannel(peerId, control.port2, channel)) { control.port1.close(); return undefined; }
    return linkOver(control.port1 as unknown as ControlPort);
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
