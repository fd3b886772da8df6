// Peer-to-peer sync in real Chromium (docs/SPEC.md SYNC, RTC): separate
// browser profiles run the real replica worker and meet through the real
// relay over real WebRTC. Waits are on page state, never fixed sleeps.
import { expect, test, type BrowserContext } from '@playwright/test';
import { makeBackup } from '../support/make-backup';
import { newRoom, openPeer, startSyncServer, waitConverged, waitForStory, type SyncServer } from './sync-fixture';

let server: SyncServer;
const contexts: BrowserContext[] = [];

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);

test.beforeAll(async () => { server = await startSyncServer(); });
test.afterAll(async () => { await server?.close(); });
test.afterEach(async () => { for (const c of contexts.splice(0)) await c.close(); });

test('[SYNC1][SYNC8][RTC25] a story created on A shows on B, live', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  await a.evaluate(() => window.sync.create('hello from Ada'));
  await waitForStory(b, 'hello from Ada');
  await b.evaluate(async () => { const id = window.sync.stories().find((s) => s.title === 'hello from Ada')!.id; await window.sync.rename(id, 'renamed by Bo'); });
  await waitForStory(a, 'renamed by Bo');
  await waitConverged(a, b);
  // RTC25: Chromium hands each frames channel to the replica worker; the page never relays a frame.
  for (const p of [a, b]) expect((await p.evaluate(() => window.sync.sync())).sessions.filter((s) => s.via === 'webrtc').map((s) => s.frames)).toEqual(['worker']);
});

test('[RTC25][SYNC1] a peer whose frames stay on the page (bridged) syncs with one whose worker owns them', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts, 'frames=page');
  await a.evaluate(() => window.sync.create('from the worker side'));
  await waitForStory(b, 'from the worker side');
  await b.evaluate(() => window.sync.create('from the page side'));
  await waitForStory(a, 'from the page side');
  await waitConverged(a, b);
  const frames = async (p: typeof a) => (await p.evaluate(() => window.sync.sync())).sessions.filter((s) => s.via === 'webrtc').map((s) => s.frames);
  expect(await frames(a)).toEqual(['worker']);
  expect(await frames(b)).toEqual(['page']);
});

test('[CORE5][SYNC8] concurrent moves of one story converge', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  const id = await a.evaluate(() => window.sync.create('contested'));
  await waitForStory(b, 'contested');
  await Promise.all([a.evaluate((s) => window.sync.move(s, 'qa'), id), b.evaluate((s) => window.sync.move(s, 'merge'), id)]);
  const hash = await waitConverged(a, b);
  const stageA = await a.evaluate((s) => window.sync.stories().find((x) => x.id === s)!.stage, id);
  const stageB = await b.evaluate((s) => window.sync.stories().find((x) => x.id === s)!.stage, id);
  expect(stageA).toBe(stageB);
  expect(['qa', 'merge']).toContain(stageA);
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
});

test('[SYNC2] B goes offline, both edit, B comes back, both converge', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  await a.evaluate(() => window.sync.create('before the split'));
  await waitForStory(b, 'before the split');
  await b.context().setOffline(true);
  await b.evaluate(() => window.sync.setOnline(false));
  await a.evaluate(() => window.sync.create('written by Ada while Bo was away'));
  await b.evaluate(() => window.sync.create('written by Bo offline'));
  expect(await b.evaluate(() => window.sync.stories().some((s) => s.title === 'written by Ada while Bo was away'))).toBe(false);
  await b.context().setOffline(false);
  await b.evaluate(() => window.sync.setOnline(true));
  await waitForStory(a, 'written by Bo offline');
  await waitForStory(b, 'written by Ada while Bo was away');
  await waitConverged(a, b);
});

test('[SYNC2][SYNC4][SYNC16][SYNC18][REPL17] a third profile joining late catches up on a board of 10,000 ops', async ({ browser }) => {
  test.setTimeout(300_000);
  const room = newRoom();
  let t = Date.now();
  const lap = (what: string) => { console.log(`[measure] ${what}: ${Date.now() - t} ms`); t = Date.now(); };
  const backup = await makeBackup(5_000, 4_999);
  lap(`built a ${backup.ops}-op backup in Node`);
  const a = await openPeer(browser, server, room, 'Ada', false, contexts);
  const imported = await a.evaluate((b64) => window.sync.importLog(b64), Buffer.from(backup.file).toString('base64'));
  expect(imported).toEqual({ applied: backup.ops, rejected: 0 });
  lap('A imported it (verify + apply)');
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  await b.evaluate((n) => window.sync.waitForOps(n), backup.ops);
  lap('B caught up');
  const c = await openPeer(browser, server, room, 'Cy', false, contexts);
  const ms = await c.evaluate((n) => window.sync.waitForOps(n), backup.ops);
  lap('C caught up');
  console.log(`[measure] late joiner caught up on ${backup.ops} ops in ${ms.toFixed(0)} ms (${(backup.ops / (ms / 1000)).toFixed(0)} ops/s)`);
  await waitConverged(a, c);
  expect(await c.evaluate(() => window.sync.storyCount())).toBe(5_000);
  // SYNC16: C was told the catch-up's size by each peer's hello and saw it count up, a percent at a time.
  // The first hello found C empty; a peer connected later announces only what C still lacked then.
  // (The boards also hold A's and B's display names.)
  const progress = await c.evaluate(() => window.sync.progress());
  const seen = progress.flat();
  expect(seen.length).toBeGreaterThan(10);
  expect(progress[0]![0]!.expected).toBeGreaterThanOrEqual(backup.ops);
  expect(seen.every((p) => p.expected <= backup.ops + 4 && p.received <= p.expected)).toBe(true);
  expect(seen.some((p) => p.received > 0 && p.received < p.expected)).toBe(true);
  expect(progress.length).toBeLessThanOrEqual(2 * 101 + 8); // two peers: one update per percent each, and their state changes
  // SYNC18: the backup's seals came with its ops, from A to B and from both to C: one signature per 256 ops, not per op.
  const runs = Math.ceil(backup.ops / 256);
  for (const p of [a, b, c]) {
    const seals = await p.evaluate(() => window.sync.seals());
    expect(seals).toMatchObject({ held: runs, rejected: 0 });
    expect(seals.verified).toBeGreaterThanOrEqual(runs); // two peers' copies of one seal checked at once are each checked
    expect(seals.verified).toBeLessThanOrEqual(2 * runs);
    expect(seals.opsSealed).toBe(backup.ops);
  }
  // SYNC19: every session said it reads deflated messages, and C's catch-up came deflated, well under its ops' size.
  const rows = (await c.evaluate(() => window.sync.sync())).sessions.filter((r) => r.via === 'webrtc');
  expect(rows.length).toBe(2);
  expect(rows.every((r) => r.deflate)).toBe(true);
  const wire = rows.reduce((n, r) => n + r.bytesReceived, 0);
  console.log(`[measure] C received ${wire} frame bytes for ${backup.ops} ops of ${backup.file.length} bytes in the backup`);
  expect(wire).toBeLessThan(backup.file.length * 0.6);
});

test('[CORE10] a purge propagates and stays purged', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  const id = await a.evaluate(() => window.sync.create('to be purged'));
  await waitForStory(b, 'to be purged');
  await b.evaluate((s) => window.sync.purge(s), id);
  await a.waitForFunction((s) => !window.sync.stories().some((x) => x.id === s), id);
  await waitConverged(a, b);
});

test('[RTC6] a peer with a wrong secret cannot join and is told why', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  await a.evaluate(() => window.sync.create('secret board'));
  const wrong = { roomId: room.roomId, secret: newRoom().secret };
  const m = await openPeer(browser, server, wrong, 'Mallory', false, contexts);
  await m.waitForFunction(async () => (await window.sync.sync()).relay?.wrongSecret === true, undefined, { timeout: 30_000 });
  expect(await m.evaluate(() => window.sync.storyCount())).toBe(0);
  const status = await m.evaluate(() => window.sync.sync());
  expect(status.peers.filter((p) => p.state === 'connected')).toEqual([]);
  expect(status.sessions.filter((s) => s.via === 'webrtc')).toEqual([]);
});

test('[RTC10] the relay restarts and the peers reconnect by themselves', async ({ browser }) => {
  const room = newRoom();
  const a = await openPeer(browser, server, room, 'Ada', true, contexts);
  const b = await openPeer(browser, server, room, 'Bo', false, contexts);
  await a.evaluate(() => window.sync.create('before restart'));
  await waitForStory(b, 'before restart');
  await server.restartRelay();
  for (const p of [a, b]) await p.waitForFunction(async () => (await window.sync.sync()).relay?.status === 'open', undefined, { timeout: 60_000 });
  // A newcomer meets both through the restarted relay and catches up.
  const c = await openPeer(browser, server, room, 'Cy', false, contexts);
  await waitForStory(c, 'before restart');
  await a.evaluate(() => window.sync.create('after restart'));
  await waitForStory(b, 'after restart');
  await waitForStory(c, 'after restart');
});
