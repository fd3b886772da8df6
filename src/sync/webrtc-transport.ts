// WebRtcTransport: one WebRTC connection to a peer, negotiated by simple-peer 9
// (docs/SPEC.md RTC15–RTC19, RTC25). Frames travel on a second data channel
// of the same connection, negotiated out of band (the same id on both sides,
// so it needs no announcement and exists from the first moment): a
// ChannelTransport on this page, or — handed off at creation, the only moment
// a channel can be transferred — in the replica worker, so sync frames never
// cross the page's thread (RTC25). simple-peer's own channel only sets the
// connection up; its close reason travels on the frames channel (RTC19).
import SimplePeer, { type SimplePeerConstructor, type SimplePeerInstance } from 'simple-peer/simplepeer.min.js';
import { ChannelTransport, type DataChannelLike } from './channel-transport.js';
import type { FramesLink } from './frames-link.js';
import { Listeners, TransportClosedError, type Transport } from './transport';

export { DRAIN_LOW_WATER_BYTES } from './channel-transport.js';

/** The frames channel: negotiated, with this id on both sides (simple-peer's own channel takes 0 or 1). */
export const FRAMES_CHANNEL_ID = 255;
const FRAMES_CHANNEL = 'huskies-frames';

export interface WebRtcTransportOptions {
  /** The other side's replica id. */
  peerId: string;
  /** True on the side that makes the offer; the peer manager picks the smaller replica id (RTC16). */
  initiator: boolean;
  /** Hands a local offer/answer/ICE candidate to signalling, for the other side's `signal()`. */
  sendSignal: (data: unknown) => void;
  /** STUN/TURN servers (RTC18); default none, which suffices on one host or LAN. */
  iceServers?: RTCIceServer[];
  /** Trickle ICE candidates one by one (default) or wait and send one complete SDP. */
  trickle?: boolean;
  /** The simple-peer constructor; tests may inject one. */
  SimplePeer?: SimplePeerConstructor;
  /** A closing side waits this long for the other to confirm before tearing the connection down. */
  closeGraceMs?: number;
  /**
   * Offered the frames channel synchronously, in the constructor (RTC25):
   * return a link to its new owner after transferring it (e.g. to the
   * replica worker, which runs its own ChannelTransport there), or undefined
   * to keep the frames on this page.
   */
  handOff?: (channel: RTCDataChannel) => FramesLink | undefined;
}

/** A Transport that is still being negotiated; the peer manager feeds it signals. */
export interface PeerConnection extends Transport {
  /** Feeds one signal from the other side; malformed signals close the connection, never throw. */
  signal(data: unknown): void;
  /** Called once when the data channel opens. Returns an unsubscribe. */
  onConnect(listener: () => void): () => void;
  /** True once the data channel opened (and until closed). */
  readonly connected: boolean;
}

const CHANNEL_NAME = 'huskies-sync';

export class WebRtcTransport implements PeerConnection {
  readonly peerId: string;
  private readonly peer: SimplePeerInstance;
  /** The frames, when they stay on this page (undefined once handed off). */
  private readonly framesHere: ChannelTransport | undefined;
  /** Where the frames went, when handed off. */
  private readonly framesLink: FramesLink | undefined;
  private readonly closes = new Listeners<[string]>();
  private readonly connects = new Listeners<[]>();
  private readonly closeGraceMs: number;
  private peerConnected = false;
  private isConnected = false;
  private isClosed = false;

  constructor(options: WebRtcTransportOptions) {
    this.peerId = options.peerId;
    this.closeGraceMs = options.closeGraceMs ?? 3_000;
    const Peer = options.SimplePeer ?? SimplePeer;
    this.peer = new Peer({
      initiator: options.initiator,
      channelName: CHANNEL_NAME,
      channelConfig: { ordered: true }, // RTC15: reliable and ordered (no maxRetransmits/maxPacketLifeTime)
      config: { iceServers: options.iceServers ?? [] },
      trickle: options.trickle ?? true,
      // Object mode: each channel message stays one chunk, so frame boundaries survive.
      objectMode: true,
    });
    const frames = this.peer._pc.createDataChannel(FRAMES_CHANNEL, { negotiated: true, id: FRAMES_CHANNEL_ID, ordered: true });
    this.framesLink = options.handOff?.(frames);
    if (this.framesLink) this.framesLink.onClosed((reason) => this.finish(reason));
    else {
      this.framesHere = new ChannelTransport(this.peerId, frames as unknown as DataChannelLike, { closeGraceMs: this.closeGraceMs });
      this.framesHere.onOpen(() => this.maybeConnected());
      this.framesHere.onClose((reason) => this.finish(reason));
    }
    this.peer.on('signal', (data) => {
      if (!this.isClosed) options.sendSignal(data);
    });
    this.peer.on('connect', () => {
      this.peerConnected = true;
      this.maybeConnected();
    });
    this.peer.on('data', (data) => this.receive(data));
    this.peer.on('error', (error) => this.finish(error.code ?? 'error'));
    this.peer.on('close', () => this.finish(this.isConnected ? 'peer-disconnected' : 'connection-failed'));
  }

  get connected(): boolean {
    return this.isConnected && !this.isClosed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** True when the frames channel was handed off: frames are sent and received where it went. */
  get handedOff(): boolean {
    return this.framesHere === undefined;
  }

  get bufferedAmount(): number {
    return this.isClosed ? 0 : this.framesHere?.bufferedAmount ?? 0;
  }

  /** Connected once simple-peer is, and the frames channel is open here (or lives elsewhere). */
  private maybeConnected(): void {
    if (this.isClosed || this.isConnected || !this.peerConnected || (this.framesHere !== undefined && !this.framesHere.open)) return;
    this.isConnected = true;
    this.connects.emit();
  }

  signal(data: unknown): void {
    if (this.isClosed) return;
    if (typeof data !== 'object' || data === null) return this.close('bad-signal');
    try {
      this.peer.signal(data);
    } catch {
      // simple-peer throws on some malformed input and destroys itself on others.
      this.close('bad-signal');
    }
  }

  send(frame: Uint8Array): void {
    if (this.isClosed) throw new TransportClosedError(this.peerId);
    if (!this.isConnected) throw new Error(`transport to ${this.peerId} is not connected yet`);
    this.frames().send(frame);
  }

  onFrame(listener: (frame: Uint8Array) => void): () => void {
    return this.frames().onFrame(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  onDrain(listener: () => void): () => void {
    return this.frames().onDrain(listener);
  }

  private frames(): ChannelTransport {
    if (!this.framesHere) throw new Error(`the frames of ${this.peerId} were handed off (RTC25)`);
    return this.framesHere;
  }

  onConnect(listener: () => void): () => void {
    return this.connects.add(listener);
  }

  /**
   * Closes the frames first — their close carries `reason` behind every frame
   * already sent (TRANSPORT3, RTC19) — and tears the connection down once
   * that close went out.
   */
  close(reason = 'closed'): void {
    this.finish(reason);
  }

  /** simple-peer's own channel carries nothing once open (RTC15): any message on it is a protocol violation. */
  private receive(_data: Uint8Array | string): void {
    this.finish('protocol-error');
  }

  /** Closed here, by the far side or by failure: report once, close the frames, then release the connection. */
  private finish(reason: string): void {
    if (this.isClosed) return;
    this.finishLocally(reason);
    const frames = this.framesHere;
    const released = frames ? (frames.close(reason), frames.released) : this.framesLink?.close(reason) ?? Promise.resolve();
    void released.then(() => this.peer.destroy());
  }

  private finishLocally(reason: string): void {
    this.isClosed = true;
    this.closes.emit(reason);
    this.closes.clear();
    this.connects.clear();
  }
}
