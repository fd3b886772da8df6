// The Transport port (DESIGN §5, STYLE rule 2): one bidirectional, ordered,
// reliable connection to ONE peer, carrying binary frames of at most 16 KiB
// (WebRTC data channels are chunked to 16 KiB; the protocol chunks larger
// messages itself, SYNC3). In the style of automerge-repo's
// NetworkAdapterInterface: adapters (MemoryTransport, BroadcastTransport,
// WebRtcTransport) implement it and run `transport-contract.ts` (TRANSPORT1–7).

/** Largest frame a transport must carry. */
export const MAX_TRANSPORT_FRAME_BYTES = 16 * 1024;

export interface Transport {
  /** Who is on the other end (opaque; the peer's replica id where known). */
  readonly peerId: string;
  /** Queues one frame for delivery, in order; throws `TransportClosedError` once closed (TRANSPORT4). */
  send(frame: Uint8Array): void;
  /** Subscribes to inbound frames, in the order sent; returns the unsubscribe function (TRANSPORT5). */
  onFrame(listener: (frame: Uint8Array) => void): () => void;
  /** Subscribes to the close of the connection (either side, once); returns the unsubscribe function (TRANSPORT3). */
  onClose(listener: (reason: string) => void): () => void;
  /**
   * Subscribes to "queued bytes were delivered": fires after `bufferedAmount`
   * went down, so a sender that paused on a full buffer can resume (TRANSPORT6).
   * A transport that never buffers never fires it.
   */
  onDrain(listener: () => void): () => void;
  /** Closes both ends; frames sent before are still delivered first where the medium allows. Idempotent. */
  close(reason?: string): void;
  /** True once either side closed. */
  readonly closed: boolean;
  /** Bytes queued but not yet delivered (for backpressure, SYNC9). */
  readonly bufferedAmount: number;
}

/** `send` on a closed transport: programmer misuse, not hostile input. */
export class TransportClosedError extends Error {
  constructor(readonly peerId: string) {
    super(`transport to ${peerId} is closed`);
    this.name = 'TransportClosedError';
  }
}

/** A tiny listener set shared by the adapters; a throwing listener does not stop the others. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();
  add(listener: (...args: A) => void): () => void {
    const wrapped = (...args: A) => listener(...args); // distinct entry per subscription
    this.set.add(wrapped);
    return () => { this.set.delete(wrapped); };
  }
  emit(...args: A): void {
    for (const l of [...this.set]) {
      try { l(...args); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
  }
  clear(): void { this.set.clear(); }
  get size(): number { return this.set.size; }
}
