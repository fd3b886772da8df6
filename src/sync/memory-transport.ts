// MemoryTransport: an in-process Transport pair, the deterministic driver of
// the sync tests and simulation (like tldraw's manual-flush socket pair and
// yjs's TestConnector). In auto mode frames are delivered in a microtask; in
// manual mode they wait until the test calls `flush()`, `flushOne()` or
// `drop()`, so the test decides every delivery order.
import { Listeners, TransportClosedError, type Transport } from './transport.js';

type Entry = { frame: Uint8Array } | { close: string };

export interface MemoryPairOptions {
  /** Hold frames until flush()/flushOne()/drop() (default false: deliver in a microtask). */
  readonly manual?: boolean;
}

export class MemoryTransport implements Transport {
  private other!: MemoryTransport;
  private readonly outbox: Entry[] = [];
  private queuedBytes = 0;
  private closeReason: string | undefined;
  private scheduled = false;
  private readonly frameListeners = new Listeners<[Uint8Array]>();
  private readonly closeListeners = new Listeners<[string]>();
  private readonly drainListeners = new Listeners<[]>();

  /** @internal use `createMemoryPair` */
  constructor(readonly localId: string, readonly peerId: string, private readonly manual: boolean) {}

  /** @internal */
  link(other: MemoryTransport): void {
    this.other = other;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  /** Frames (and a close notice) waiting to be delivered to the other side. */
  get pending(): number {
    return this.outbox.length;
  }

  send(frame: Uint8Array): void {
    if (this.closed) throw new TransportClosedError(this.peerId);
    if (!(frame instanceof Uint8Array)) throw new TypeError('a frame is a Uint8Array');
    this.outbox.push({ frame: frame.slice() }); // copy: the sender may reuse its buffer
    this.queuedBytes += frame.length;
    this.schedule();
  }

  onFrame(listener: (frame: Uint8Array) => void): () => void { return this.frameListeners.add(listener); }
  onClose(listener: (reason: string) => void): () => void { return this.closeListeners.add(listener); }
  onDrain(listener: () => void): () => void { return this.drainListeners.add(listener); }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.outbox.push({ close: reason }); // delivered after the frames sent before it
    this.schedule();
    this.closeListeners.emit(reason);
    this.frameListeners.clear();
  }

  /** Delivers the next queued entry; false when nothing was queued. */
  flushOne(): boolean {
    const entry = this.outbox.shift();
    if (!entry) return false;
    this.deliver(entry);
    if ('frame' in entry) this.drainListeners.emit();
    return true;
  }

  /** Delivers everything queued now (not what the other side sends back); returns how many entries. */
  flush(): number {
    let n = 0;
    let frames = 0;
    while (this.outbox.length > 0) {
      const entry = this.outbox.shift()!;
      if ('frame' in entry) frames++;
      this.deliver(entry);
      n++;
    }
    if (frames > 0) this.drainListeners.emit();
    return n;
  }

  /** Discards up to `n` queued frames (not a close notice), as a lossy link would; returns how many. */
  drop(n = Infinity): number {
    let dropped = 0;
    for (let i = 0; i < this.outbox.length && dropped < n;) {
      const e = this.outbox[i]!;
      if ('frame' in e) { this.outbox.splice(i, 1); this.queuedBytes -= e.frame.length; dropped++; } else i++;
    }
    if (dropped > 0) this.drainListeners.emit();
    return dropped;
  }

  private deliver(entry: Entry): void {
    if ('frame' in entry) {
      this.queuedBytes -= entry.frame.length;
      if (!this.other.closed) this.other.frameListeners.emit(entry.frame);
    } else this.other.remoteClosed(entry.close);
  }

  private remoteClosed(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.outbox.length = 0; // nobody is listening any more
    this.queuedBytes = 0;
    this.closeListeners.emit(reason);
    this.frameListeners.clear();
  }

  private schedule(): void {
    if (this.manual || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => { this.scheduled = false; this.flush(); });
  }
}

/** Two connected transports: `a` talks to `bId`, `b` talks to `aId`. */
export function createMemoryPair(aId: string, bId: string, options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const manual = options.manual ?? false;
  const a = new MemoryTransport(aId, bId, manual);
  const b = new MemoryTransport(bId, aId, manual);
  a.link(b);
  b.link(a);
  return [a, b];
}
