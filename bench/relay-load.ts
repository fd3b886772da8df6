// Bounded load run for the signalling relay: N ws clients in R rooms against a
// relay in a child process (bench/relay-child.ts), so the relay's RSS is
// measured apart from the load generator. Each round, every client publishes
// one message to its room and the round ends when all deliveries arrived
// (closed loop), so latency is not just queueing of one giant burst.
// Run: node --import tsx bench/relay-load.ts
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import type { RelayLimits } from '../relay/relay';

export interface RelayLoadOptions {
  clients?: number;
  rooms?: number;
  messagesPerClient?: number;
  /** Bytes of opaque padding per message, like an encrypted SDP chunk. */
  payloadBytes?: number;
  /** The run stops (reporting what it got) after this long. */
  deadlineMs?: number;
}

export interface RelayLoadResult {
  clients: number;
  rooms: number;
  messagesPerClient: number;
  expected: number;
  delivered: number;
  elapsedMs: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  idleRssMb: number;
}

// The load run is one trusted generator, so the per-connection rate cap is lifted (RELAY8).
const LOAD_LIMITS: Partial<RelayLimits> = { rateFramesPerSecond: 100_000, rateBurst: 100_000, maxConnections: 100_000 };

export async function runRelayLoad(opts: RelayLoadOptions = {}): Promise<RelayLoadResult> {
  const clients = opts.clients ?? 1000;
  const rooms = opts.rooms ?? 100;
  const messagesPerClient = opts.messagesPerClient ?? 20;
  const padding = 'p'.repeat(opts.payloadBytes ?? 256);
  const deadline = performance.now() + (opts.deadlineMs ?? 25_000);

  const child = fork(fileURLToPath(new URL('./relay-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RELAY_LIMITS: JSON.stringify(LOAD_LIMITS) },
  });
  const sockets: WebSocket[] = [];
  try {
    const { port } = await nextMessage<{ port: number }>(child);
    const idle = await nextMessage<{ peakRss: number }>(child, 'stats');
    const url = `ws://127.0.0.1:${port}/relay`;
    const topics = Array.from({ length: rooms }, (_, r) => createHash('sha256').update(`bench-room-${r}`).digest('hex'));
    const roomSize = new Array<number>(rooms).fill(0);
    for (let i = 0; i < clients; i++) roomSize[i % rooms]!++;
    const perRound = roomSize.reduce((n, size) => n + size * (size - 1), 0);
    const expected = perRound * messagesPerClient;
    const latencies = new Float64Array(expected);
    let delivered = 0;
    let roundTarget = 0;
    let roundDone: (() => void) | null = null;

    const onMessage = (raw: WebSocket.RawData) => {
      const frame = JSON.parse(raw.toString()) as { type: string; data?: string };
      if (frame.type !== 'publish' || frame.data === undefined) return;
      const sentAt = Number(frame.data.slice(0, frame.data.indexOf('|')));
      if (delivered < expected) latencies[delivered] = performance.now() - sentAt;
      delivered++;
      if (delivered >= roundTarget && roundDone) {
        const done = roundDone;
        roundDone = null;
        done();
      }
    };

    // Connect in batches so the accept backlog never overflows.
    for (let start = 0; start < clients; start += 100) {
      const batch = Array.from({ length: Math.min(100, clients - start) }, (_, k) => {
        const i = start + k;
        const ws = new WebSocket(url, { perMessageDeflate: false });
        sockets.push(ws);
        return new Promise<void>((resolve, reject) => {
          ws.once('error', reject);
          ws.once('open', () => {
            ws.send(JSON.stringify({ type: 'subscribe', topics: [topics[i % rooms]] }));
            ws.send(JSON.stringify({ type: 'ping' }));
          });
          // The pong proves the subscribe was processed (frames of a connection are handled in order).
          ws.once('message', () => {
            ws.on('message', onMessage);
            resolve();
          });
        });
      });
      await Promise.all(batch);
    }

    const started = performance.now();
    let timedOut = false;
    for (let round = 0; round < messagesPerClient && !timedOut; round++) {
      roundTarget = perRound * (round + 1);
      const done = new Promise<void>((resolve) => (roundDone = resolve));
      for (let i = 0; i < clients; i++) {
        const data = `${performance.now()}|${padding}`;
        sockets[i]!.send(JSON.stringify({ type: 'publish', topic: topics[i % rooms], data }));
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, deadline - performance.now()))));
      timedOut = (await Promise.race([done, late])) === 'late';
      clearTimeout(timer);
    }
    const elapsedMs = performance.now() - started;
    const stats = await nextMessage<{ peakRss: number }>(child, 'stats');

    const measured = latencies.subarray(0, Math.min(delivered, expected)).sort();
    const pct = (p: number) => (measured.length ? measured[Math.min(measured.length - 1, Math.floor(p * measured.length))]! : NaN);
    return {
      clients,
      rooms,
      messagesPerClient,
      expected,
      delivered,
      elapsedMs: round1(elapsedMs),
      messagesPerSec: Math.round(delivered / (elapsedMs / 1000)),
      p50Ms: round2(pct(0.5)),
      p99Ms: round2(pct(0.99)),
      peakRssMb: round1(stats.peakRss / 2 ** 20),
      idleRssMb: round1(idle.peakRss / 2 ** 20),
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    child.send('stop');
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  }
}

function nextMessage<T>(child: ChildProcess, request?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`relay child exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
    if (request) child.send(request);
  });
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runRelayLoad();
  console.log(JSON.stringify(result, null, 2));
}
