// A Transport over a MessagePort, and the bridge that feeds one from another
// Transport. WebRTC exists only on a window, not in workers, so the page
// holds the WebRTC connections and bridges each to the replica worker over
// its own MessageChannel; the worker sees an ordinary Transport (DESIGN §1:
// the page still holds no CRDT logic, it only moves bytes).
//
// Flow control crosses the port too: the bridge acknowledges every frame it
// hands to the far transport and reports that transport's bufferedAmount, so
// the worker's sync session sees real backpressure (SYNC9).
import { Listeners, TransportClosedError, type Transport } from './transport.js';

/** Messages on the port (validated on receipt: the other side is still a boundary). */
type PortMessage =
  | { t: 'frame'; data: Uint8Array }
  | { t: 'ack'; bytes: number; remote: number }
  | { t: 'close'; reason: string };

/** The minimal MessagePort surface used (so tests can pass a real MessageChannel in Node). */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

function parse(data: unknown): PortMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.t === 'frame' && m.data instanceof Uint8Array) return m as PortMessage;
  if (m.t === 'ack' && Number.isSafeInteger(m.bytes) && Number.isSafeInteger(m.remote)) return m as PortMessage;
  if (m.t === 'close' && typeof m.reason === 'string') return { t: 'close', reason: m.reason.slice(0, 200) };
  return undefined;
}

/** The worker's end: a Transport whose frames travel over a MessagePort. */
export class PortTransport implements Transport {
  private readonly frames = new Listeners<[Uint8Array]>();
  private readonly closes = new Listeners<[string]>();
  private readonly drains = new Listeners<[]>();
  private unacked = 0;
  private remote = 0;
  private closeReason: string | undefined;

  constructor(readonly peerId: string, private readonly port: PortLike) {
    port.onmessage = (event) => {
      const m = parse(event.data);
      if (!m || this.closed) return;
      if (m.t === 'frame') this.frames.emit(m.data);
      else if (m.t === 'ack') {
        this.unacked = Math.max(0, this.unacked - m.bytes);
        this.remote = Math.max(0, m.remote);
        this.drains.emit();
      } else this.end(m.reason);
    };
  }

  get closed(): boolean { return this.closeReason !== undefined; }
  get bufferedAmount(): number { return this.unacked + this.remote; }

  send(frame: Uint8Array): void {
    if (this.closed) throw new TransportClosedError(this.peerId);
    const copy = frame.slice();
    this.unacked += copy.length;
    this.port.postMessage({ t: 'frame', data: copy }, [copy.buffer]);
  }

  onFrame(l: (frame: Uint8Array) => void): () => void { return this.frames.add(l); }
  onClose(l: (reason: string) => void): () => void { return this.closes.add(l); }
  onDrain(l: () => void): () => void { return this.drains.add(l); }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.port.postMessage({ t: 'close', reason });
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.port.onmessage = null;
    this.port.close();
    this.closes.emit(reason);
  }
}

/** The page's end: pumps frames between a Transport (e.g. WebRTC) and a port. Returns a stop function. */
export function bridgeTransport(transport: Transport, port: PortLike): () => void {
  let done = false;
  const stop = (reason: string, tellPort: boolean) => {
    if (done) return;
    done = true;
    offFrame(); offClose(); offDrain();
    if (tellPort) port.postMessage({ t: 'close', reason });
    port.onmessage = null;
    port.close();
    if (!transport.closed) transport.close(reason);
  };
  const offFrame = transport.onFrame((frame) => {
    const copy = frame.slice();
    port.postMessage({ t: 'frame', data: copy }, [copy.buffer]);
  });
  const offClose = transport.onClose((reason) => stop(reason, true));
  const offDrain = transport.onDrain(() => port.postMessage({ t: 'ack', bytes: 0, remote: transport.bufferedAmount }));
  port.onmessage = (event) => {
    const m = parse(event.data);
    if (!m || done) return;
    if (m.t === 'frame') {
      try {
        transport.send(m.data);
      } catch {
        stop('transport closed', true);
        return;
      }
      port.postMessage({ t: 'ack', bytes: m.data.length, remote: transport.bufferedAmount });
    } else if (m.t === 'close') stop(m.reason, false);
  };
  return () => stop('closed', true);
}
