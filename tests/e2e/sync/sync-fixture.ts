// Shared setup for the sync specs and browser benchmarks: a Vite dev server
// serving the sync harness with the REAL relay attached to the same HTTP
// server, and peers = pages in separate browser contexts (separate profiles).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { attachRelay, type Relay } from '../../../relay/relay';
import { createRoom, formatRoomLink, type RoomCredentials } from '../../../src/sync/room-link';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface SyncServer {
  readonly base: string;
  readonly httpServer: Server;
  relay: Relay;
  restartRelay(): Promise<void>;
  close(): Promise<void>;
}

export async function startSyncServer(): Promise<SyncServer> {
  const vite: ViteDevServer = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    cacheDir: 'node_modules/.vite-e2e-sync',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    worker: { format: 'es' },
    optimizeDeps: { entries: ['tests/e2e/sync/harness.html', 'src/worker/replica.worker.ts'], include: ['simple-peer/simplepeer.min.js', 'comlink', 'idb'] },
  });
  await vite.listen();
  const httpServer = vite.httpServer as Server;
  const { port } = httpServer.address() as AddressInfo;
  const server: SyncServer = {
    base: `http://127.0.0.1:${port}/tests/e2e/sync/harness.html`,
    httpServer,
    relay: attachRelay(httpServer, { limits: { rateFramesPerSecond: 500, rateBurst: 1000 } }),
    async restartRelay() {
      await server.relay.close();
      server.relay = attachRelay(httpServer, { limits: { rateFramesPerSecond: 500, rateBurst: 1000 } });
    },
    async close() {
      await server.relay.close();
      await vite.close();
    },
  };
  return server;
}

export function newRoom(): RoomCredentials {
  return createRoom();
}

/** Opens the room in a fresh context (its own profile) and opens the replica. */
export async function openPeer(browser: Browser, server: SyncServer, room: RoomCredentials, name: string, create: boolean, contexts: BrowserContext[], query = ''): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e));
  const link = formatRoomLink(server.base, room);
  await page.goto(query ? link.replace('#', `?${query}#`) : link);
  await page.waitForFunction(() => window.sync !== undefined);
  await page.evaluate((o) => window.sync.open(o), { create, name });
  return page;
}

/** Waits until the page's board has a story with this title (and stage, if given). */
export function waitForStory(page: Page, title: string, stage?: string, timeout = 60_000): Promise<unknown> {
  return page.waitForFunction(([t, s]) => window.sync.stories().some((x) => x.title === t && (s === undefined || x.stage === s)), [title, stage] as const, { timeout });
}

/** Waits until both pages hold the same op count and state hash. */
export async function waitConverged(a: Page, b: Page, timeout = 30_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const [da, db] = await Promise.all([a.evaluate(() => window.sync.dump()), b.evaluate(() => window.sync.dump())]);
    if (da.stateHash === db.stateHash && da.totalOps === db.totalOps) return da.stateHash;
    if (Date.now() > deadline) throw new Error(`not converged: ${JSON.stringify(da)} vs ${JSON.stringify(db)}`);
    // Poll the pages' state at a short interval; each round trip is a real evaluation, not a timing assumption.
    await a.waitForTimeout(100);
  }
}
