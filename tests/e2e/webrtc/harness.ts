// Browser harness for the WebRTC e2e specs: joins the room named by the page's
// URL fragment through the real relay (signalling client + peer manager +
// WebRtcTransport) and exposes `window.harness` for Playwright to drive:
// messages, the Transport contract suite over an in-page WebRTC pair, and
// throughput/latency measurements. Frames start with a kind byte (below).
import { createPeerManager, type PeerManager, type PeerStatus } from '../../../src/sync/peer-manager';
import { createRoomCipher } from '../../../src/sync/room-crypto';
import { parseRoomLink } from '../../../src/sync/room-link';
import { createSignallingClient, type SignallingClient, type SignallingState } from '../../../src/sync/signalling-client';
import { runTransportContract, type ContractResult, type MakePair } from '../../../src/sync/transport-contract';
import type { Transport } from '../../../src/sync/transport';
import { WebRtcTransport } from '../../../src/sync/webrtc-transport';
import { linkOver } from '../../../src/sync/frames-link';

const TEXT = 1;
const BULK = 2;
const COUNT_REQ = 3;
const COUNT_RESP = 4;
const PING = 5;
const PONG = 6;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let signalling: SignallingClient | null = null;
let manager: PeerManager | null = null;
const transports = new Map<string, Transport>();
const texts: Array<{ from: string; text: string }> = [];
let bulkReceived = 0;
let joinedAt = 0;
let firstConnectMs: number | null = null;
const waiters = new Set<(from: string, frame: Uint8Array) => void>();

function statusText(state: SignallingState | null): string {
  if (!state) return 'idle';
  if (state.wrongSecret) return 'wrong room secret: frames in this room cannot be opened with your key';
  if (state.unreachable) return 'cannot reach the relay';
  return `relay ${state.status}`;
}

function render(): void {
  document.getElementById('status')!.textContent = statusText(signalling?.state ?? null);
  const list = document.getElementById('peers')!;
  list.replaceChildren(
    ...(manager?.peers() ?? []).map((p) => Object.assign(document.createElement('li'), { textContent: `${p.name}: ${p.state}` })),
  );
}

function adopt(transport: Transport): void {
  firstConnectMs ??= performance.now() - joinedAt;
  transports.set(transport.peerId, transport);
  transport.onClose(() => {
    if (transports.get(transport.peerId) === transport) transports.delete(transport.peerId);
  });
  transport.onFrame((frame) => {
    const kind = frame[0];
    if (kind === TEXT) texts.push({ from: transport.peerId, text: decoder.decode(frame.subarray(1)) });
    else if (kind === BULK) bulkReceived++;
    else if (kind === COUNT_REQ) {
      const out = new Uint8Array(5);
      out[0] = COUNT_RESP;
      new DataView(out.buffer).setUint32(1, bulkReceived);
      bulkReceived = 0;
      transport.send(out);
    } else if (kind === PING) {
      const out = frame.slice();
      out[0] = PONG;
      transport.send(out);
    }
    for (const w of [...waiters]) w(transport.peerId, frame);
  });
}

function nextFrame(from: string, kind: number): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const w = (f: string, frame: Uint8Array) => {
      if (f === from && frame[0] === kind) {
        waiters.delete(w);
        resolve(frame);
      }
    };
    waiters.add(w);
  });
}

function transportTo(peerId: string): Transport {
  const t = transports.get(peerId);
  if (!t) throw new Error(`no transport to ${peerId}`);
  return t;
}

/** An in-page pair of real WebRTC transports, signalled directly (for the contract suite). */
const webrtcPair: MakePair = async () => {
  let a: WebRtcTransport | null = null;
  let b: WebRtcTransport | null = null;
  a = new WebRtcTransport({ peerId: 'pair-b', initiator: true, sendSignal: (s) => b!.signal(s) });
  b = new WebRtcTransport({ peerId: 'pair-a', initiator: false, sendSignal: (s) => a!.signal(s) });
  await Promise.all([a, b].map((t) => new Promise<void>((resolve) => t.onConnect(resolve))));
  return [a, b];
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const harness = {
  /** Joins the room of `location.hash` through the relay on this page's host. */
  async join(options: { replicaId: string; name: string; relayUrl?: string }): Promise<void> {
    const parsed = parseRoomLink(location.href);
    if (!parsed.ok) throw new Error(`bad room link: ${parsed.reason}`);
    joinedAt = performance.now();
    const cipher = await createRoomCipher(parsed.room);
    signalling = createSignallingClient({
      url: options.relayUrl ?? `ws://${location.host}/relay`,
      cipher,
      replicaId: options.replicaId,
      name: options.name,
    });
    manager = createPeerManager({ signalling, replicaId: options.replicaId, onTransport: adopt });
    signalling.onState(render);
    manager.onChange(render);
    render();
  },
  state(): { signalling: SignallingState | null; peers: PeerStatus[]; transports: string[]; status: string; firstConnectMs: number | null } {
    return {
      firstConnectMs,
      signalling: signalling?.state ?? null,
      peers: manager?.peers() ?? [],
      transports: [...transports.keys()],
      status: document.getElementById('status')!.textContent ?? '',
    };
  },
  sendText(peerId: string, text: string): void {
    const body = encoder.encode(text);
    const frame = new Uint8Array(body.length + 1);
    frame[0] = TEXT;
    frame.set(body, 1);
    transportTo(peerId).send(frame);
  },
  texts(): Array<{ from: string; text: string }> {
    return texts.slice();
  },
  /**
   * Runs every Transport contract case in a worker, over pairs whose frames
   * channels this page transfers there at creation (RTC25), as the app hands
   * them to its replica worker.
   */
  runContractInWorker(): Promise<ContractResult[]> {
    const worker = new Worker(new URL('./channel-contract.worker.ts', import.meta.url), { type: 'module' });
    const connections: WebRtcTransport[] = [];
    const half = (side: 'a' | 'b') => (channel: RTCDataChannel) => {
      const control = new MessageChannel();
      worker.postMessage({ t: 'half', side, port: control.port2, channel }, [control.port2, channel as unknown as Transferable]);
      return linkOver(control.port1 as never);
    };
    return new Promise((resolve, reject) => {
      worker.onerror = (e) => reject(new Error(e.message));
      worker.onmessage = (event: MessageEvent) => {
        const m = event.data as { t: string; results?: ContractResult[]; error?: string };
        if (m.t === 'need-pair') {
          let a: WebRtcTransport | null = null;
          let b: WebRtcTransport | null = null;
          a = new WebRtcTransport({ peerId: 'pair-b', initiator: true, sendSignal: (s) => b!.signal(s), handOff: half('a') });
          b = new WebRtcTransport({ peerId: 'pair-a', initiator: false, sendSignal: (s) => a!.signal(s), handOff: half('b') });
          connections.push(a, b);
        } else if (m.t === 'results') {
          for (const c of connections) c.close('done');
          worker.terminate();
          resolve(m.results!);
        } else if (m.t === 'error') reject(new Error(m.error));
      };
      worker.postMessage({ t: 'run' });
    });
  },
  /** Runs every Transport contract case over fresh in-page WebRTC pairs; returns failures. */
  runContract(): Promise<ContractResult[]> {
    return runTransportContract(webrtcPair);
  },
  /** Sends `count` frames of `size` bytes with backpressure; resolves when the peer has counted them all. */
  async throughput(peerId: string, count: number, size: number, highWater = 1024 * 1024): Promise<{ ms: number; count: number }> {
    const t = transportTo(peerId);
    const frame = new Uint8Array(size).fill(0xab);
    frame[0] = BULK;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      if (t.bufferedAmount > highWater) {
        await new Promise<void>((resolve) => {
          const off = t.onDrain(() => {
            off();
            resolve();
          });
        });
      }
      t.send(frame);
    }
    const reply = nextFrame(peerId, COUNT_RESP);
    t.send(new Uint8Array([COUNT_REQ]));
    const counted = new DataView((await reply).buffer).getUint32(1);
    return { ms: performance.now() - start, count: counted };
  },
  /** Sequential round trips of `size`-byte frames; latency percentiles in ms. */
  async latency(peerId: string, rounds: number, size = 32): Promise<{ p50: number; p99: number; max: number }> {
    const t = transportTo(peerId);
    const samples: number[] = [];
    const frame = new Uint8Array(size);
    frame[0] = PING;
    for (let i = 0; i < rounds; i++) {
      const back = nextFrame(peerId, PONG);
      const start = performance.now();
      t.send(frame);
      await back;
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1]! };
  },
  leave(): void {
    manager?.close();
    signalling?.close();
  },
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.getElementById('status')!.textContent = 'ready';
