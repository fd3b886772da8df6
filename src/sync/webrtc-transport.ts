// WebRtcTransport: the Transport port (TRANSPORT1–7) over one ordered, reliable
// WebRTC data channel, negotiated by simple-peer 9 (docs/SPEC.md
// RTC15–RTC19). Binary messages are frames; a text message is in-band control
// (only "close:<reason>"), so the far side learns the reason and gets every
// frame sent before the close — a bare data-channel close carries neither.
import SimplePeer, { type SimplePeerConstructor, type SimplePeerInstance } from 'simple-peer/simplepeer.min.js';
import { Listeners, MAX_TRANSPORT_FRAME_BYTES, TransportClosedError, type Transport } from './transport';

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

/** The bufferedAmount below which `onDrain` fires when a lot was queued (RTC17). */
/** Frames kept for the first listener (a few hundred KiB at most). */
const EARLY_FRAMES_MAX = 64;

export const DRAIN_LOW_WATER_BYTES = 256 * 1024;
const CLOSE_PREFIX = 'close:';
const MAX_REASON_LENGTH = 200;
const CHANNEL_NAME = 'huskies-sync';

export class WebRtcTransport implements PeerConnection {
  readonly peerId: string;
  private readonly peer: SimplePeerInstance;
  private readonly frames = new Listeners<[Uint8Array]>();
  private readonly closes = new Listeners<[string]>();
  private readonly drains = new Listeners<[]>();
  private readonly connects = new Listeners<[]>();
  private readonly closeGraceMs: number;
  private channelHooked = false;
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
    this.peer.on('signal', (data) => {
      if (!this.isClosed) options.sendSignal(data);
    });
    this.peer.on('connect', () => {
      if (this.isClosed) return;
      this.isConnected = true;
      this.hookDrain();
      this.connects.emit();
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

  get bufferedAmount(): number {
    return this.isClosed ? 0 : this.peer.bufferSize;
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
    if (frame.byteLength > MAX_TRANSPORT_FRAME_BYTES) {
      throw new RangeError(`frame of ${frame.byteLength} bytes exceeds ${MAX_TRANSPORT_FRAME_BYTES}`);
    }
    // RTCDataChannel.send copies synchronously, so the caller may reuse `frame` (TRANSPORT1).
    this.peer.send(frame);
    this.armDrain();
  }

  onFrame(listener: (frame: Uint8Array) => void): () => void {
    const off = this.frames.add(listener);
    // Frames that arrived before anyone listened (the far side may speak as
    // soon as its end connects, before ours is handed on) go to the first listener.
    const early = this.early.splice(0);
    for (const f of early) listener(f);
    return off;
  }

  /** Frames received while no listener was subscribed, bounded by EARLY_FRAMES_MAX. */
  private readonly early: Uint8Array[] = [];

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  onDrain(listener: () => void): () => void {
    return this.drains.add(listener);
  }

  onConnect(listener: () => void): () => void {
    return this.connects.add(listener);
  }

  close(reason = 'closed'): void {
    if (this.isClosed) return;
    const wasConnected = this.isConnected && this.peer.connected;
    this.finishLocally(reason);
    if (!wasConnected) return this.peer.destroy();
    // Queue the reason behind every frame already sent (TRANSPORT3); the far side
    // tears down when it reads it, and our 'close' follows. The grace timer only
    // matters if the far side vanished meanwhile.
    try {
      this.peer.send(CLOSE_PREFIX + reason.slice(0, MAX_REASON_LENGTH));
    } catch {
      return this.peer.destroy();
    }
    const timer = setTimeout(() => this.peer.destroy(), this.closeGraceMs);
    this.peer.on('close', () => clearTimeout(timer));
  }

  private receive(data: Uint8Array | string): void {
    if (this.isClosed) return;
    if (typeof data === 'string') {
      // RTC19: the only control message; anything else is a protocol violation.
      if (data.startsWith(CLOSE_PREFIX)) return this.finish(data.slice(CLOSE_PREFIX.length, CLOSE_PREFIX.length + MAX_REASON_LENGTH));
      return this.finish('protocol-error');
    }
    // RTC17: a hostile peer's oversized frame ends the connection instead of reaching the protocol.
    if (data.byteLength > MAX_TRANSPORT_FRAME_BYTES) return this.finish('frame-too-large');
    // simple-peer hands a Buffer polyfill; listeners get a plain Uint8Array view of it.
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.frames.size === 0) {
      if (this.early.length >= EARLY_FRAMES_MAX) return this.finish('nobody listening');
      this.early.push(frame.slice());
      return;
    }
    this.frames.emit(frame);
  }

  /** Closed by the far side or by failure: report once and release the connection. */
  private finish(reason: string): void {
    if (this.isClosed) return;
    this.finishLocally(reason);
    this.peer.destroy();
  }

  private finishLocally(reason: string): void {
    this.isClosed = true;
    this.closes.emit(reason);
    this.frames.clear();
    this.closes.clear();
    this.drains.clear();
    this.connects.clear();
  }

  /** The channel is only reachable through simple-peer's internals; it has no drain event for `send()`. */
  private hookDrain(): void {
    const channel = this.peer._channel;
    if (!channel || this.channelHooked) return;
    this.channelHooked = true;
    channel.addEventListener('bufferedamountlow', () => {
      if (!this.isClosed) this.drains.emit();
    });
  }

  /**
   * TRANSPORT6/RTC17: a big queue drains to the low-water mark; a small one fires
   * when fully sent, so a paused sender always hears about it.
   */
  private armDrain(): void {
    const channel = this.peer._channel;
    if (!channel) return;
    channel.bufferedAmountLowThreshold = channel.bufferedAmount > DRAIN_LOW_WATER_BYTES ? DRAIN_LOW_WATER_BYTES : 0;
  }
}
