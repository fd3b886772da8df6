// ChannelTransport: the Transport port (TRANSPORT1–7) over one ordered,
// reliable RTCDataChannel (RTC15). It runs wherever the channel lives: on the
// page, or in the replica worker after the page transferred the channel to it
// at creation (RTC25) — then sync frames go from the network straight to the
// worker and the page's thread never touches them.
//
// Binary messages are frames; a text message is in-band control (only
// "close:<reason>", RTC19), so the far side learns the reason and gets every
// frame sent before the close — a bare data-channel close carries neither.
import { Listeners, MAX_TRANSPORT_FRAME_BYTES, TransportClosedError, type Transport } from './transport.js';

/** The part of RTCDataChannel used here (the same object on a page and in a worker). */
export interface DataChannelLike {
  readonly readyState: string;
  binaryType: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: string | ArrayBufferView<ArrayBuffer>): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onbufferedamountlow: ((event: unknown) => void) | null;
}

/** The bufferedAmount below which `onDrain` fires when a lot was queued (RTC17). */
export const DRAIN_LOW_WATER_BYTES = 256 * 1024;
/** Frames kept for the first listener, which may subscribe late (the worker attaches once its log is loaded). */
const EARLY_FRAMES_MAX = 1024;
const CLOSE_PREFIX = 'close:';
const MAX_REASON_LENGTH = 200;

export interface ChannelTransportOptions {
  /** A closing side waits this long for the far side to close the channel before closing it itself. */
  readonly closeGraceMs?: number;
}

export class ChannelTransport implements Transport {
  private readonly frames = new Listeners<[Uint8Array]>();
  private readonly closes = new Listeners<[string]>();
  private readonly drains = new Listeners<[]>();
  private readonly opens = new Listeners<[]>();
  private readonly early: Uint8Array[] = [];
  private readonly closeGraceMs: number;
  private isOpen: boolean;
  private isClosed = false;
  private markReleased!: () => void;
  /**
   * Resolves once the channel itself is closed after `close()` or a close
   * from the far side: a closing side's reason went out behind its frames,
   * so the connection under the channel may be torn down now.
   */
  readonly released = new Promise<void>((resolve) => { this.markReleased = resolve; });

  constructor(readonly peerId: string, private readonly channel: DataChannelLike, options: ChannelTransportOptions = {}) {
    this.closeGraceMs = options.closeGraceMs ?? 3_000;
    channel.binaryType = 'arraybuffer';
    this.isOpen = channel.readyState === 'open';
    if (channel.readyState === 'closing' || channel.readyState === 'closed') {
      this.isClosed = true;
      this.markReleased();
      return;
    }
    channel.onopen = () => {
      if (this.isClosed || this.isOpen) return;
      this.isOpen = true;
      this.opens.emit();
    };
    channel.onmessage = (event) => this.receive(event.data);
    channel.onbufferedamountlow = () => { if (!this.isClosed) this.drains.emit(); };
    channel.onerror = () => this.finish('error');
    channel.onclose = () => this.finish(this.isOpen ? 'peer-disconnected' : 'connection-failed');
  }

  /** True once the channel opened (and until closed). */
  get open(): boolean {
    return this.isOpen && !this.isClosed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get bufferedAmount(): number {
    return this.isClosed ? 0 : this.channel.bufferedAmount;
  }

  /** Called once when the channel opens (at once if it is open). Returns an unsubscribe. */
  onOpen(listener: () => void): () => void {
    if (this.open) { listener(); return () => undefined; }
    return this.opens.add(listener);
  }

  send(frame: Uint8Array): void {
    if (this.isClosed) throw new TransportClosedError(this.peerId);
    if (!this.isOpen) throw new Error(`transport to ${this.peerId} is not connected yet`);
    if (frame.byteLength > MAX_TRANSPORT_FRAME_BYTES) {
      throw new RangeError(`frame of ${frame.byteLength} bytes exceeds ${MAX_TRANSPORT_FRAME_BYTES}`);
    }
    // RTCDataChannel.send copies synchronously, so the caller may reuse `frame` (TRANSPORT1).
    this.channel.send(frame as Uint8Array<ArrayBuffer>);
    this.armDrain();
  }

  onFrame(listener: (frame: Uint8Array) => void): () => void {
    const off = this.frames.add(listener);
    // Frames that arrived before anyone listened (the far side may speak as
    // soon as its end opens) go to the first listener, in order.
    for (const f of this.early.splice(0)) listener(f);
    return off;
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  onDrain(listener: () => void): () => void {
    return this.drains.add(listener);
  }

  close(reason = 'closed'): void {
    if (this.isClosed) return;
    const wasOpen = this.isOpen;
    this.finishLocally(reason);
    if (!wasOpen) return this.release();
    // Queue the reason behind every frame already sent (TRANSPORT3); the far
    // side closes the channel when it reads it. The grace timer only matters
    // if the far side vanished meanwhile.
    try {
      this.channel.send(CLOSE_PREFIX + reason.slice(0, MAX_REASON_LENGTH));
    } catch {
      return this.release();
    }
    const timer = setTimeout(() => this.release(), this.closeGraceMs);
    this.channel.onclose = () => { clearTimeout(timer); this.release(); };
  }

  private release(): void {
    this.channel.onclose = null;
    this.channel.close();
    this.markReleased();
  }

  private receive(data: unknown): void {
    if (this.isClosed) return;
    if (typeof data === 'string') {
      // RTC19: the only control message; anything else is a protocol violation.
      if (data.startsWith(CLOSE_PREFIX)) return this.finish(data.slice(CLOSE_PREFIX.length, CLOSE_PREFIX.length + MAX_REASON_LENGTH));
      return this.finish('protocol-error');
    }
    if (!(data instanceof ArrayBuffer)) return this.finish('protocol-error');
    // RTC17: a hostile peer's oversized frame ends the connection instead of reaching the protocol.
    if (data.byteLength > MAX_TRANSPORT_FRAME_BYTES) return this.finish('frame-too-large');
    // Each message is a fresh buffer of its own: the frame is a view of it, no copy.
    const frame = new Uint8Array(data);
    if (this.frames.size === 0) {
      if (this.early.length >= EARLY_FRAMES_MAX) return this.finish('nobody listening');
      this.early.push(frame);
      return;
    }
    this.frames.emit(frame);
  }

  /** Closed by the far side or by failure: report once and release the channel. */
  private finish(reason: string): void {
    if (this.isClosed) return;
    this.finishLocally(reason);
    this.release();
  }

  private finishLocally(reason: string): void {
    this.isClosed = true;
    const c = this.channel;
    c.onopen = c.onmessage = c.onbufferedamountlow = c.onerror = c.onclose = null;
    this.early.length = 0;
    this.closes.emit(reason);
    this.frames.clear();
    this.closes.clear();
    this.drains.clear();
    this.opens.clear();
  }

  /**
   * TRANSPORT6/RTC17: a big queue drains to the low-water mark; a small one fires
   * when fully sent, so a paused sender always hears about it.
   */
  private armDrain(): void {
    this.channel.bufferedAmountLowThreshold = this.channel.bufferedAmount > DRAIN_LOW_WATER_BYTES ? DRAIN_LOW_WATER_BYTES : 0;
  }
}
