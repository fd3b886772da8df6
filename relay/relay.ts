// The signalling relay: topic pub/sub over WebSocket that only introduces peers
// of a room to each other (docs/SPEC.md). The shape of y-webrtc's server,
// but every frame is validated, and size, topics, rate, bad frames and send
// buffers are capped, so a hostile client can neither crash it nor grow its memory.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  MAX_BAD_FRAMES,
  MAX_DATA_LENGTH,
  MAX_FRAME_BYTES,
  MAX_TOPICS_PER_CONNECTION,
  RATE_BURST,
  RATE_FRAMES_PER_SECOND,
  encodeServerFrame,
  parseClientFrame,
  type FrameLimits,
  type RelayErrorReason,
  type Topic,
} from '../src/protocol/relay-frames';
import { createTokenBucket, type TokenBucket } from './token-bucket';

export interface RelayLimits {
  /** Largest text frame answered normally; larger ones get an error frame (RELAY4). */
  maxFrameBytes: number;
  /** Longest publish `data` string (RELAY4). */
  maxDataLength: number;
  /** Hard cap handed to ws as maxPayload: larger frames close the socket with 1009 (RELAY4). */
  maxPayloadBytes: number;
  /** Topics one connection may hold (RELAY6). */
  maxTopicsPerConnection: number;
  /** Token-bucket refill rate in frames per second (RELAY8). */
  rateFramesPerSecond: number;
  /** Token-bucket capacity (RELAY8). */
  rateBurst: number;
  /** Bad frames tolerated before closing with 1008 (RELAY9). */
  maxBadFrames: number;
  /** Interval between heartbeat pings, ms (RELAY11). */
  heartbeatMs: number;
  /** Send buffer above which a slow receiver is closed with 1013 (RELAY13). */
  maxBufferedBytes: number;
  /** Concurrent connections; further upgrades get HTTP 503 (RELAY16). */
  maxConnections: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxFrameBytes: MAX_FRAME_BYTES,
  maxDataLength: MAX_DATA_LENGTH,
  maxPayloadBytes: 4 * MAX_FRAME_BYTES,
  maxTopicsPerConnection: MAX_TOPICS_PER_CONNECTION,
  rateFramesPerSecond: RATE_FRAMES_PER_SECOND,
  rateBurst: RATE_BURST,
  maxBadFrames: MAX_BAD_FRAMES,
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxConnections: 10_000,
};

export interface RelayOptions {
  /** URL path whose upgrades the relay takes; default '/relay' (RELAY12). */
  path?: string;
  limits?: Partial<RelayLimits>;
  /** Monotonic clock in ms for rate limiting; default performance.now. */
  now?: () => number;
  /** Called after a closed connection has left all its topics; for logs, metrics and tests. */
  onConnectionClosed?: (stats: RelayStats) => void;
}

export interface RelayStats {
  connections: number;
  topics: number;
}

export interface Relay {
  /** Live connections and non-empty topics (RELAY7, RELAY15). */
  stats(): RelayStats;
  /** Closes every connection with 1001, stops the heartbeat and detaches from the server (RELAY15). */
  close(): Promise<void>;
}

interface Connection {
  socket: WebSocket;
  topics: Set<Topic>;
  bucket: TokenBucket;
  badFrames: number;
  alive: boolean;
  closing: boolean;
}

export function attachRelay(server: Server, options: RelayOptions = {}): Relay {
  const path = options.path ?? '/relay';
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS, ...options.limits };
  const now = options.now ?? (() => performance.now());
  const frameLimits: FrameLimits = {
    maxFrameBytes: limits.maxFrameBytes,
    maxDataLength: limits.maxDataLength,
    maxTopicsPerFrame: limits.maxTopicsPerConnection,
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false });
  const connections = new Set<Connection>();
  const topics = new Map<Topic, Set<Connection>>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Only our path: other upgrade listeners (Vite HMR…) keep theirs (RELAY12).
    if (pathnameOf(request.url) !== path) return;
    if (connections.size >= limits.maxConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  };
  server.on('upgrade', onUpgrade);

  function accept(socket: WebSocket): void {
    const conn: Connection = {
      socket,
      topics: new Set(),
      bucket: createTokenBucket(limits.rateFramesPerSecond, limits.rateBurst, now),
      badFrames: 0,
      alive: true,
      closing: false,
    };
    connections.add(conn);
    socket.on('pong', () => (conn.alive = true));
    socket.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    socket.on('close', () => drop(conn));
    // A socket error (e.g. 1009 on an over-cap frame) is followed by 'close'; swallow it here.
    socket.on('error', () => drop(conn));
  }

  function onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closing) return;
    conn.alive = true;
    if (!conn.bucket.take()) return shut(conn, 1008, 'rate-limit'); // RELAY8
    if (isBinary) return bad(conn, 'binary-frame'); // RELAY14
    const bytes = rawLength(data);
    if (bytes > limits.maxFrameBytes) return bad(conn, 'frame-too-large'); // RELAY4
    const parsed = parseClientFrame(rawText(data), frameLimits);
    if (!parsed.ok) return bad(conn, parsed.reason); // RELAY3
    const frame = parsed.frame;
    switch (frame.type) {
      case 'ping':
        return send(conn, encodeServerFrame({ type: 'pong' })); // RELAY10
      case 'subscribe':
        return subscribe(conn, frame.topics);
      case 'unsubscribe':
        for (const topic of frame.topics) leave(conn, topic);
        return;
      case 'publish': {
        // Serialise once; every other subscriber gets the same string (RELAY5).
        const out = encodeServerFrame({ type: 'publish', topic: frame.topic, data: frame.data });
        const subscribers = topics.get(frame.topic);
        if (!subscribers) return;
        for (const receiver of subscribers) if (receiver !== conn) send(receiver, out);
        return;
      }
    }
  }

  function subscribe(conn: Connection, wanted: Topic[]): void {
    const fresh = new Set(wanted.filter((topic) => !conn.topics.has(topic)));
    // All or nothing, so a client never ends up half-subscribed (RELAY6).
    if (conn.topics.size + fresh.size > limits.maxTopicsPerConnection) {
      return send(conn, encodeServerFrame({ type: 'error', reason: 'too-many-topics' }));
    }
    for (const topic of fresh) {
      conn.topics.add(topic);
      let subscribers = topics.get(topic);
      if (!subscribers) topics.set(topic, (subscribers = new Set()));
      subscribers.add(conn);
    }
  }

  function leave(conn: Connection, topic: Topic): void {
    if (!conn.topics.delete(topic)) return;
    const subscribers = topics.get(topic);
    if (!subscribers) return;
    subscribers.delete(conn);
    if (subscribers.size === 0) topics.delete(topic); // RELAY7
  }

  function drop(conn: Connection): void {
    if (!connections.delete(conn)) return;
    conn.closing = true;
    for (const topic of [...conn.topics]) leave(conn, topic);
    options.onConnectionClosed?.(stats());
  }

  function stats(): RelayStats {
    return { connections: connections.size, topics: topics.size };
  }

  function bad(conn: Connection, reason: RelayErrorReason): void {
    conn.badFrames++;
    if (conn.badFrames > limits.maxBadFrames) return shut(conn, 1008, 'too-many-bad-frames'); // RELAY9
    send(conn, encodeServerFrame({ type: 'error', reason }));
  }

  function send(conn: Connection, text: string): void {
    if (conn.closing) return;
    // A receiver that cannot drain is closed instead of buffered without bound (RELAY13).
    if (conn.socket.bufferedAmount > limits.maxBufferedBytes) return shut(conn, 1013, 'slow-consumer');
    conn.socket.send(text);
  }

  function shut(conn: Connection, code: number, reason: string): void {
    if (conn.closing) return;
    if (code === 1008 && reason === 'rate-limit') {
      conn.socket.send(encodeServerFrame({ type: 'error', reason: 'rate-limit' }));
    }
    conn.closing = true;
    conn.socket.close(code, reason);
    // Free its topics now rather than after the close handshake.
    for (const topic of [...conn.topics]) leave(conn, topic);
  }

  // RELAY11: a connection that did not answer the previous ping is terminated.
  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        conn.socket.terminate();
        drop(conn);
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();

  let closed: Promise<void> | null = null;
  return {
    stats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        server.off('upgrade', onUpgrade);
        for (const conn of connections) shut(conn, 1001, 'going-away');
        // A client that never completes the close handshake must not hold close() hostage.
        const force = setTimeout(() => wss.clients.forEach((ws) => ws.terminate()), 2_000);
        force.unref();
        wss.close(() => {
          clearTimeout(force);
          connections.clear();
          topics.clear();
          resolve();
        });
      });
      return closed;
    },
  };
}

function pathnameOf(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, chunk) => n + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
