// Test helpers for the relay: a real ws client with an inbox that tests await
// frame by frame, and a relay on an ephemeral loopback port. No sleeps: every
// wait resolves on a socket event.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { parseServerFrame, type ClientFrame, type ServerFrame } from '../src/protocol/relay-frames';
import { attachRelay, type Relay, type RelayOptions, type RelayStats } from './relay';

export interface TestRelay {
  relay: Relay;
  server: Server;
  url: string;
  port: number;
  /** Resolves the next time a closed connection leaves the relay with stats matching `done`. */
  whenClosed(done: (stats: RelayStats) => boolean): Promise<RelayStats>;
  stop(): Promise<void>;
}

export async function startRelay(options: RelayOptions = {}): Promise<TestRelay> {
  const server = createServer((_req, res) => res.end('huskies relay\n'));
  const watchers: Array<{ done: (s: RelayStats) => boolean; resolve: (s: RelayStats) => void }> = [];
  const relay = attachRelay(server, {
    ...options,
    onConnectionClosed(stats) {
      options.onConnectionClosed?.(stats);
      for (const w of [...watchers]) {
        if (w.done(stats)) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(stats);
        }
      }
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    relay,
    server,
    port,
    url: `ws://127.0.0.1:${port}${options.path ?? '/relay'}`,
    whenClosed(done) {
      const now = relay.stats();
      if (done(now)) return Promise.resolve(now);
      return new Promise((resolve) => watchers.push({ done, resolve }));
    },
    async stop() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export class TestClient {
  readonly inbox: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = parseServerFrame(data.toString());
      if (frame) this.inbox.push(frame);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('error', () => {}); // surfaced through `closed`
  }

  static open(url: string, options?: ClientOptions): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(frame: ClientFrame | Record<string, unknown> | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Removes and returns the next frame, waiting for it if needed. */
  async next(): Promise<ServerFrame> {
    while (this.inbox.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('closed while waiting for a frame');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.inbox.shift()!;
  }

  /**
   * Round-trips a ping: the relay handles one connection's frames in order and
   * TCP keeps the relay's sends in order, so afterwards every frame the relay
   * sent us before the pong is in the returned list.
   */
  async sync(): Promise<ServerFrame[]> {
    this.send({ type: 'ping' });
    const seen: ServerFrame[] = [];
    for (;;) {
      const frame = await this.next();
      if (frame.type === 'pong') return seen;
      seen.push(frame);
    }
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A valid topic derived from a small integer, for tests. */
export function topic(n: number): string {
  return n.toString(16).padStart(64, '0');
}
