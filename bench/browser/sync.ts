// Browser benchmark (issue 5/6): catch-up of a new peer joining a large room
// over real WebRTC through the real relay, and live propagation latency
// between two browsers, in Debian's Chromium. Same harness as the sync e2e.
import { chromium, type BrowserContext } from '@playwright/test';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { makeBackup } from '../../tests/e2e/support/make-backup.js';
import { newRoom, openPeer, startSyncServer } from '../../tests/e2e/sync/sync-fixture.js';

// The 100,000-op room is measured by catchup.ts (several joiners, CPU per op); this one stays at 10,000.
const CATCH_UP_OPS = Number(process.env.HUSKIES_BENCH_CATCHUP_OPS ?? 10_000);
const LATENCY_SAMPLES = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<Record<string, number>> {
  const server = await startSyncServer();
  const browser = await chromium.launch(chromiumLaunchOptions());
  const contexts: BrowserContext[] = [];
  try {
    // Live latency: A creates, B sees; one at a time, wall clock of one machine.
    const room = newRoom();
    const a = await openPeer(browser, server, room, 'Ada', true, contexts);
    const b = await openPeer(browser, server, room, 'Bo', false, contexts);
    await a.evaluate(() => window.sync.create('warm-up'));
    await b.waitForFunction(() => window.sync.seenAt('warm-up') !== undefined, undefined, { timeout: 60_000 });
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const title = `latency ${i}`;
      const sent = await a.evaluate(async (t) => { const at = performance.timeOrigin + performance.now(); await window.sync.create(t); return at; }, title);
      await b.waitForFunction((t) => window.sync.seenAt(t) !== undefined, title, { timeout: 30_000 });
      latencies.push((await b.evaluate((t) => window.sync.seenAt(t)!, title)) - sent);
    }
    latencies.sort((x, y) => x - y);
    for (const c of contexts.splice(0)) await c.close();

    // Catch-up: A holds a large room (imported from a backup), C joins late.
    const half = Math.floor(CATCH_UP_OPS / 2);
    const backup = await makeBackup(half, CATCH_UP_OPS - half - 1);
    const room2 = newRoom();
    const holder = await openPeer(browser, server, room2, 'Ada', false, contexts);
    const importStart = Date.now();
    await holder.evaluate((b64) => window.sync.importLog(b64), Buffer.from(backup.file).toString('base64'));
    const importMs = Date.now() - importStart;
    const joiner = await openPeer(browser, server, room2, 'Cy', false, contexts);
    const catchUpMs = await joiner.evaluate((n) => window.sync.waitForOps(n), backup.ops);
    return {
      liveLatencyP50Ms: percentile(latencies, 50),
      liveLatencyP99Ms: percentile(latencies, 99),
      catchUpOps: backup.ops,
      catchUpMs,
      catchUpOpsPerSec: backup.ops / (catchUpMs / 1000),
      importVerifiedOpsPerSec: backup.ops / (importMs / 1000),
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
