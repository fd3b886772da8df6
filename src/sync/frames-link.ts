// A frames channel handed from the page to the replica worker (RTC25): the
// worker runs the ChannelTransport over the transferred channel, and the page
// keeps a control port to it, so that it can close the frames (and then the
// connection under them) and hears when the worker's side closed by itself.
// Both ends of that port live here, so the protocol is in one place.
import { ChannelTransport, type DataChannelLike } from './channel-transport.js';

/** The page's hold on a frames channel handed off to another context. */
export interface FramesLink {
  /** Asks the owner to close the frames with `reason`; resolves once its channel is closed (or the owner is gone). */
  close(reason: string): Promise<void>;
  /** The owner's frames closed by themselves (the far side, a protocol error): the connection goes too. */
  onClosed(listener: (reason: string) => void): void;
}

/** Control messages on the port (validated on receipt: the other side is still a boundary). */
export type FramesControl = { t: 'close'; reason: string } | { t: 'closed'; reason: string } | { t: 'released' };

export function parseFramesControl(data: unknown): FramesControl | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if ((m.t === 'close' || m.t === 'closed') && typeof m.reason === 'string') return { t: m.t, reason: m.reason.slice(0, 200) };
  if (m.t === 'released') return { t: 'released' };
  return undefined;
}

/** The minimal MessagePort surface used (a real MessagePort on either side). */
export interface ControlPort {
  postMessage(message: FramesControl): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** How long the page waits for the worker to release a frames channel before tearing the connection down anyway. */
export const RELEASE_WAIT_MS = 4_000;

/** The page's end: closes the frames through the owner, hears the owner's own closes. */
export function linkOver(port: ControlPort): FramesLink {
  let onClosed: ((reason: string) => void) | undefined;
  let requested = false;
  let markReleased!: () => void;
  const released = new Promise<void>((resolve) => { markReleased = resolve; });
  port.onmessage = (event) => {
    const m = parseFramesControl(event.data);
    if (m?.t === 'released') { markReleased(); port.close(); } else if (m?.t === 'closed' && !requested) onClosed?.(m.reason);
  };
  return {
    close(reason) {
      if (!requested) {
        requested = true;
        port.postMessage({ t: 'close', reason });
        setTimeout(markReleased, RELEASE_WAIT_MS);
      }
      return released;
    },
    onClosed(listener) { onClosed = listener; },
  };
}

/** Whether a transferred object looks like an RTCDataChannel (the page is ours, but this is still a boundary). */
export function isDataChannel(x: unknown): x is DataChannelLike {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return typeof c.send === 'function' && typeof c.close === 'function' && typeof c.readyState === 'string';
}

/**
 * The owner's end: a ChannelTransport over the transferred channel, closed
 * when the page asks, reporting its own closes and the channel's release.
 * Call it in the task that receives the channel: a channel's events are lost
 * while it has no listener. Undefined when `channel` is not one.
 */
export function serveChannel(peerId: string, port: ControlPort, channel: unknown): ChannelTransport | undefined {
  if (!isDataChannel(channel)) { port.close(); return undefined; }
  const transport = new ChannelTransport(peerId, channel);
  port.onmessage = (event) => { const m = parseFramesControl(event.data); if (m?.t === 'close') transport.close(m.reason); };
  transport.onClose((reason) => port.postMessage({ t: 'closed', reason }));
  void transport.released.then(() => { port.postMessage({ t: 'released' }); port.close(); });
  return transport;
}
