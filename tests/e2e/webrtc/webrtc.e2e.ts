// WebRTC sync in real Chromium (docs/SPEC.md): a Vite dev server started
// in the spec serves tests/e2e/webrtc/harness.html, the real relay is attached
// to the same HTTP server, and SEPARATE browser contexts (separate profiles)
// join one room link and connect with real WebRTC on loopback. Waits are on
// page state (waitForFunction), never sleeps.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { attachRelay, type Relay } from '../../../relay/relay';
import { createRoom, formatRoomLink, type RoomCredentials } from '../../../src/sync/room-link';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let vite: ViteDevServer;
let relay: Relay;
let base: string;
const contexts: BrowserContext[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  vite = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    cacheDir: 'node_modules/.vite-e2e-webrtc',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    // simple-peer's bundle is CommonJS/UMD: pre-bundle it up front so the page never reloads mid-test.
    optimizeDeps: { entries: ['tests/e2e/webrtc/harness.html'], include: ['simple-peer/simplepeer.min.js'] },
  });
  await vite.listen();
  relay = attachRelay(vite.httpServer as import('node:http').Server);
  const { port } = vite.httpServer!.address() as AddressInfo;
  base = `http://127.0.0.1:${port}/tests/e2e/webrtc/harness.html`;
});

test.afterAll(async () => {
  await relay?.close();
  await vite?.close();
});

test.afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

/** Opens the room link in a fresh browser context (its own profile) and joins. */
async function openPeer(browser: Browser, room: RoomCredentials, replicaId: string, name = replicaId): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${replicaId}] pageerror`, e));
  await page.goto(formatRoomLink(base, room));
  await page.waitForFunction(() => window.harness !== undefined);
  await page.evaluate((o) => window.harness.join(o), { replicaId, name });
  return page;
}

function connectedTo(page: Page, peerId: string): Promise<unknown> {
  return page.waitForFunction((id) => window.harness.state().transports.includes(id), peerId, { timeout: 30_000 });
}

function statusOf(page: Page): Promise<string> {
  return page.evaluate(() => window.harness.state().status);
}

test('[RTC16][RTC20] two browser profiles meet through the relay and exchange frames over WebRTC', async ({ browser }) => {
  const room = createRoom();
  const started = Date.now();
  const a = await openPeer(browser, room, 'replica-a', 'Ada');
  const b = await openPeer(browser, room, 'replica-b', 'Bo');
  await Promise.all([connectedTo(a, 'replica-b'), connectedTo(b, 'replica-a')]);
  const joinToConnect = await b.evaluate(() => window.harness.state().firstConnectMs);
  console.log(`[measure] connected ${Date.now() - started} ms after the first page opened; ${joinToConnect?.toFixed(0)} ms from the second peer's join()`);

  await a.evaluate(() => window.harness.sendText('replica-b', 'hello from Ada'));
  await b.evaluate(() => window.harness.sendText('replica-a', 'hello from Bo'));
  await b.waitForFunction(() => window.harness.texts().length > 0);
  await a.waitForFunction(() => window.harness.texts().length > 0);
  expect(await b.evaluate(() => window.harness.texts())).toEqual([{ from: 'replica-a', text: 'hello from Ada' }]);
  expect(await a.evaluate(() => window.harness.texts())).toEqual([{ from: 'replica-b', text: 'hello from Bo' }]);
  // The peers panel shows the display name and the connection state.
  await expect(a.locator('#peers')).toHaveText('Bo: connected');
  await expect(b.locator('#peers')).toHaveText('Ada: connected');
  expect(await statusOf(a)).toBe('relay open');
});

test('[TRANSPORT1-7][RTC15][RTC17][RTC19] WebRtcTransport passes the Transport contract over a real data channel', async ({ browser }) => {
  const page = await openPeer(browser, createRoom(), 'contract-runner');
  const results = await page.evaluate(() => window.harness.runContract());
  expect(results.length).toBeGreaterThan(0);
  expect(results.filter((r) => r.error !== null)).toEqual([]);
});

test('[TRANSPORT1-7][RTC25][RTC19] a frames channel handed to a worker at creation passes the Transport contract there', async ({ browser }) => {
  const page = await openPeer(browser, createRoom(), 'contract-worker');
  const results = await page.evaluate(() => window.harness.runContractInWorker());
  expect(results.length).toBeGreaterThan(0);
  expect(results.filter((r) => r.error !== null)).toEqual([]);
});

test('[RTC12] a peer with the wrong secret cannot connect and is told "wrong room secret"', async ({ browser }) => {
  const room = createRoom();
  const a = await openPeer(browser, room, 'replica-a');
  const b = await openPeer(browser, room, 'replica-b');
  await connectedTo(a, 'replica-b');
  const forged = { roomId: room.roomId, secret: createRoom().secret };
  const x = await openPeer(browser, forged, 'replica-0'); // smallest id: it would be the one to offer
  await expect(x.locator('#status')).toContainText('wrong room secret');
  const state = await x.evaluate(() => window.harness.state());
  expect(state.transports).toEqual([]);
  expect(state.peers).toEqual([]);
  expect((await a.evaluate(() => window.harness.state())).peers.map((p) => p.id)).toEqual(['replica-b']);
  expect(await statusOf(b)).toBe('relay open');
});

test('[RTC10] after the relay restarts on the same port, signalling reconnects by itself', async ({ browser }) => {
  const room = createRoom();
  const a = await openPeer(browser, room, 'replica-a');
  const b = await openPeer(browser, room, 'replica-b');
  await Promise.all([connectedTo(a, 'replica-b'), connectedTo(b, 'replica-a')]);

  await relay.close();
  for (const page of [a, b]) await page.waitForFunction(() => window.harness.state().signalling?.status !== 'open');
  relay = attachRelay(vite.httpServer as import('node:http').Server);
  for (const page of [a, b]) await expect(page.locator('#status')).toHaveText('relay open', { timeout: 15_000 });

  // The data channel never needed the relay.
  await a.evaluate(() => window.harness.sendText('replica-b', 'through the restart'));
  await b.waitForFunction(() => window.harness.texts().some((t) => t.text === 'through the restart'));
  // And the room is re-subscribed: a newcomer finds both.
  const c = await openPeer(browser, room, 'replica-c');
  await Promise.all([connectedTo(c, 'replica-a'), connectedTo(c, 'replica-b')]);
});

test('[measure] throughput of 16 KiB frames and small-frame round trips over one data channel', async ({ browser }) => {
  const room = createRoom();
  const a = await openPeer(browser, room, 'replica-a');
  const b = await openPeer(browser, room, 'replica-b');
  await Promise.all([connectedTo(a, 'replica-b'), connectedTo(b, 'replica-a')]);
  const frames = 4_000;
  await a.evaluate(() => window.harness.throughput('replica-b', 200, 16 * 1024)); // warm-up
  const run = await a.evaluate((n) => window.harness.throughput('replica-b', n, 16 * 1024), frames);
  expect(run.count).toBe(frames);
  const big = await a.evaluate((n) => window.harness.throughput('replica-b', n, 16 * 1024, 8 * 1024 * 1024), frames);
  console.log(`[measure] with an 8 MiB high-water mark: ${((frames * 16 * 1024) / (big.ms / 1000) / 1e6).toFixed(1)} MB/s`);
  const perSecond = (frames / run.ms) * 1000;
  const mbPerSecond = (frames * 16 * 1024) / (run.ms / 1000) / 1e6;
  await a.evaluate(() => window.harness.latency('replica-b', 100)); // warm-up
  const rtt = await a.evaluate(() => window.harness.latency('replica-b', 1_000, 32));
  const line =
    `[measure] ${frames} × 16 KiB in ${run.ms.toFixed(0)} ms: ${perSecond.toFixed(0)} frames/s, ${mbPerSecond.toFixed(1)} MB/s; ` +
    `32-byte round trip p50 ${rtt.p50.toFixed(3)} ms, p99 ${rtt.p99.toFixed(3)} ms, max ${rtt.max.toFixed(3)} ms`;
  console.log(line);
  test.info().annotations.push({ type: 'measure', description: line });
});
