// BroadcastTransport: tabs of one browser exchange frames over a
// BroadcastChannel named `huskies-<roomId>` (DESIGN §4, BCAST1–BCAST6).
// A BroadcastHub per tab announces itself (hello), keeps one Transport per
// other tab (peerId = that tab's replica id), routes frames addressed to it,
// and notices tabs that leave (bye on pagehide) or vanish silently (heartbeat
// with an injected scheduler and clock, so tests run no real timers).
//
// Links: the tab with the smaller replica id opens each link (`open` with a
// link number); frames and closes carry it, so frames of an old link never leak
// into a new one. A link that closed is reopened on the next message from that
// tab — that is how a dropped slow tab resyncs (SYNC10).
import { Listeners, TransportClosedError, type Transport } from './transport.js';

/** The subset of BroadcastChannel the hub uses (injectable for tests). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** Runs `tick` every `ms`; returns the cancel function. */
export interface HubScheduler {
  every(ms: number, tick: () => void): () => void;
}

export interface BroadcastHubOptions {
  readonly roomId: string;
  readonly replicaId: string;
  /** Default: `new BroadcastChannel('huskies-' + roomId)`. */
  readonly channel?: BroadcastChannelLike;
  /** Default: `Date.now`. */
  readonly now?: () => number;
  /** Default: `setInterval`. */
  readonly scheduler?: HubScheduler;
  /** How often this tab says it is alive (default 1 s). */
  readonly heartbeatMs?: number;
  /** A tab silent this long is gone (default 5 s). */
  readonly timeoutMs?: number;
}

type Wire =
  | { t: 'hello'; from: string; to?: string }
  | { t: 'beat'; from: string }
  | { t: 'bye'; from: string }
  | { t: 'open'; from: string; to: string; link: number }
  | { t: 'frame'; from: string; to: string; link: number; data: Uint8Array }
  | { t: 'close'; from: string; to: string; link: number; reason: string };

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128;

/** Validates a channel message without throwing (BCAST6): same-origin tabs are still untrusted input. */
function parseWire(data: unknown): Wire | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (!isId(m.from)) return undefined;
  switch (m.t) {
    case 'hello': return m.to === undefined || isId(m.to) ? (m as Wire) : undefined;
    case 'beat': case 'bye': return m as Wire;
    case 'open': return isId(m.to) && Number.isSafeInteger(m.link) ? (m as Wire) : undefined;
    case 'frame': return isId(m.to) && Number.isSafeInteger(m.link) && m.data instanceof Uint8Array ? (m as Wire) : undefined;
    case 'close': return isId(m.to) && Number.isSafeInteger(m.link) && typeof m.reason === 'string' ? (m as Wire) : undefined;
    default: return undefined;
  }
}

/** One link to one other tab. */
export class BroadcastTransport implements Transport {
  private closeReason: string | undefined;
  private readonly frameListeners = new Listeners<[Uint8Array]>();
  private readonly closeListeners = new Listeners<[string]>();
  private readonly drainListeners = new Listeners<[]>();

  /** @internal created by BroadcastHub */
  constructor(readonly peerId: string, readonly link: number, private readonly hub: BroadcastHub) {}

  get closed(): boolean { return this.closeReason !== undefined; }
  /** BroadcastChannel has no send buffer to observe: always 0. */
  get bufferedAmount(): number { return 0; }

  send(frame: Uint8Array): void {
    if (this.closed) throw new TransportClosedError(this.peerId);
    if (!(frame instanceof Uint8Array)) throw new TypeError('a frame is a Uint8Array');
    this.hub.post({ t: 'frame', from: this.hub.replicaId, to: this.peerId, link: this.link, data: frame });
  }

  onFrame(listener: (frame: Uint8Array) => void): () => void { return this.frameListeners.add(listener); }
  onClose(listener: (reason: string) => void): () => void { return this.closeListeners.add(listener); }
  onDrain(listener: () => void): () => void { return this.drainListeners.add(listener); }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.hub.post({ t: 'close', from: this.hub.replicaId, to: this.peerId, link: this.link, reason });
    this.ended(reason);
  }

  /** @internal */
  deliver(frame: Uint8Array): void {
    if (!this.closed) this.frameListeners.emit(frame);
  }

  /** @internal closes this end without telling the other (it told us, or it is gone). */
  ended(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.hub.forget(this);
    this.closeListeners.emit(reason);
    this.frameListeners.clear();
  }
}

interface PeerEntry { lastSeen: number; transport?: BroadcastTransport }

export class BroadcastHub {
  readonly replicaId: string;
  private readonly channel: BroadcastChannelLike;
  private readonly now: () => number;
  private readonly scheduler: HubScheduler;
  private readonly heartbeatMs: number;
  private readonly timeoutMs: number;
  private readonly peerMap = new Map<string, PeerEntry>();
  private readonly peerListeners = new Listeners<[BroadcastTransport]>();
  private cancelBeat: (() => void) | undefined;
  private nextLink = 1;
  private stopped = false;

  constructor(options: BroadcastHubOptions) {
    this.replicaId = options.replicaId;
    this.channel = options.channel ?? (new BroadcastChannel(`huskies-${options.roomId}`) as unknown as BroadcastChannelLike);
    this.now = options.now ?? Date.now;
    this.scheduler = options.scheduler ?? { every: (ms, tick) => { const h = setInterval(tick, ms); return () => clearInterval(h); } };
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.channel.onmessage = (event) => this.receive(event.data);
  }

  /** Announces this tab and starts the heartbeat (BCAST1). */
  start(): void {
    if (this.stopped || this.cancelBeat) return;
    this.post({ t: 'hello', from: this.replicaId });
    this.cancelBeat = this.scheduler.every(this.heartbeatMs, () => this.tick());
  }

  /** Subscribes to new links (one per other tab, and again after a link closed). */
  onPeer(listener: (transport: BroadcastTransport) => void): () => void {
    return this.peerListeners.add(listener);
  }

  /** Replica ids of tabs with an open link. */
  peers(): string[] {
    return [...this.peerMap].filter(([, p]) => p.transport).map(([id]) => id).sort();
  }

  /** One heartbeat: say we are alive, and drop tabs silent for longer than the timeout (BCAST4). */
  tick(): void {
    if (this.stopped) return;
    this.post({ t: 'beat', from: this.replicaId });
    const now = this.now();
    for (const [id, p] of [...this.peerMap]) {
      if (now - p.lastSeen <= this.timeoutMs) continue;
      this.peerMap.delete(id);
      p.transport?.close('peer timed out');
    }
  }

  /** Says bye and closes every link (call on pagehide, BCAST3). */
  close(): void {
    if (this.stopped) return;
    this.post({ t: 'bye', from: this.replicaId });
    this.stopped = true;
    this.cancelBeat?.();
    for (const p of this.peerMap.values()) p.transport?.ended('hub closed');
    this.peerMap.clear();
    this.channel.onmessage = null;
    try { this.channel.close(); } catch { /* already closed */ }
  }

  /** @internal */
  post(message: Wire): void {
    if (this.stopped) return;
    try {
      this.channel.postMessage(message);
    } catch {
      // The channel was closed under us (the page is going away): nothing left to tell.
    }
  }

  /** @internal a link ended: keep the tab known, without a link, so its next message reopens one. */
  forget(t: BroadcastTransport): void {
    const p = this.peerMap.get(t.peerId);
    if (p?.transport === t) p.transport = undefined;
  }

  private receive(data: unknown): void {
    const m = parseWire(data);
    if (!m || this.stopped || m.from === this.replicaId) return;
    if ('to' in m && m.to !== undefined && m.to !== this.replicaId) return;
    if (m.t === 'bye') {
      const p = this.peerMap.get(m.from);
      this.peerMap.delete(m.from);
      p?.transport?.ended('peer left');
      return;
    }
    let p = this.peerMap.get(m.from);
    if (!p) { p = { lastSeen: 0 }; this.peerMap.set(m.from, p); }
    p.lastSeen = this.now();
    switch (m.t) {
      case 'open': {
        p.transport?.ended('peer reopened the link');
        this.link(m.from, m.link, p);
        return;
      }
      case 'frame': if (p.transport?.link === m.link) p.transport.deliver(m.data); return;
      case 'close': if (p.transport?.link === m.link) p.transport.ended(m.reason); return;
      case 'hello': case 'beat':
        if (p.transport) return;
        // BCAST2: the smaller id opens; the larger one pokes it with a directed hello.
        if (this.replicaId < m.from) {
          const link = this.nextLink++;
          this.post({ t: 'open', from: this.replicaId, to: m.from, link });
          this.link(m.from, link, p);
        } else if (m.t === 'beat' || m.to === undefined) this.post({ t: 'hello', from: this.replicaId, to: m.from });
    }
  }

  private link(peerId: string, link: number, p: PeerEntry): void {
    const t = new BroadcastTransport(peerId, link, this);
    p.transport = t;
    this.peerListeners.emit(t);
  }
}
