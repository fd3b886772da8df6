// Catch-up benchmark (issues 5/6): a holder imports a big room once, then
// several late joiners, one after the other, catch up from it over real
// WebRTC through the real relay, in Chromium. Medians of the runs per size.
// With HUSKIES_CATCHUP_PROFILE=<dir>, the last joiner's replica worker and the
// holder's replica worker are CPU-profiled through CDP (.cpuprofile files, open
// them in Chrome DevTools), and the joiner reports its own phase breakdown.
//
//   node --import tsx bench/browser/catchup.ts                 # 10,000 and 100,000 ops, 3 joiners each
//   HUSKIES_CATCHUP_SIZES=20000 HUSKIES_CATCHUP_RUNS=5 node --import tsx bench/browser/catchup.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { cachedBackup } from '../../tests/e2e/perf/board-perf.js';
import { newRoom, openPeer, startSyncServer } from '../../tests/e2e/sync/sync-fixture.js';

const SIZES = (process.env.HUSKIES_CATCHUP_SIZES ?? '10000,100000').split(',').map(Number);
const RUNS = Number(process.env.HUSKIES_CATCHUP_RUNS ?? 3);
const PROFILE_DIR = process.env.HUSKIES_CATCHUP_PROFILE;

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/**
 * CPU-profiles the replica worker of a page: a page CDP session auto-attaches
 * to the page's workers (non-flat sessions, driven through
 * Target.sendMessageToTarget, the one way Playwright's CDPSession reaches a child).
 */
async function profileWorker(page: Page): Promise<{ stop(): Promise<unknown> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  let nextId = 1;
  const waiting = new Map<number, (r: unknown) => void>();
  let sessionId: string | undefined;
  const attached = new Promise<void>((resolve) => {
    cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string; url: string } }) => {
      if (e.targetInfo.type === 'worker' && sessionId === undefined) { sessionId = e.sessionId; resolve(); }
    });
  });
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: unknown };
    if (m.id !== undefined) { waiting.get(m.id)?.(m.error ?? m.result); waiting.delete(m.id); }
  });
  const send = (method: string, params: object = {}): Promise<unknown> => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    void cdp.send('Target.sendMessageToTarget', { sessionId: sessionId!, message: JSON.stringify({ id, method, params }) });
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  await attached;
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  return { async stop() { const r = await send('Profiler.stop') as { profile: unknown }; await cdp.detach(); return r.profile; } };
}

export async function run(): Promise<Record<string, number>> {
  const server = await startSyncServer();
  const browser = await chromium.launch(chromiumLaunchOptions());
  const out: Record<string, number> = {};
  try {
    for (const size of SIZES) {
      const contexts: BrowserContext[] = [];
      const g0 = Date.now();
      // Cached in the OS temp dir: signing a 100,000-op room takes about a minute.
      const file = await cachedBackup({ stories: Math.floor(size / 2), ops: size });
      const backup = { file, ops: size };
      const backupMs = Date.now() - g0;
      const room = newRoom();
      const holder = await openPeer(browser, server, room, 'Ada', false, contexts);
      const i0 = Date.now();
      await holder.evaluate((b64) => window.sync.importLog(b64), Buffer.from(backup.file).toString('base64'));
      const importMs = Date.now() - i0;
      const rates: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const profiling = PROFILE_DIR !== undefined && r === RUNS - 1;
        const holderProfile = profiling ? await profileWorker(holder) : undefined;
        const ctxs: BrowserContext[] = [];
        const joiner = await openPeer(browser, server, room, `Cy${r}`, false, ctxs);
        const joinerProfile = profiling ? await profileWorker(joiner) : undefined;
        const ms = await joiner.evaluate((n) => window.sync.waitForOps(n), backup.ops);
        rates.push(backup.ops / (ms / 1000));
        console.error(`[catchup] ${backup.ops} ops: run ${r + 1}/${RUNS} ${ms.toFixed(0)} ms = ${Math.round(backup.ops / (ms / 1000))} ops/s`);
        if (profiling) {
          mkdirSync(PROFILE_DIR, { recursive: true });
          writeFileSync(join(PROFILE_DIR, `joiner-${size}.cpuprofile`), JSON.stringify(await joinerProfile!.stop()));
          writeFileSync(join(PROFILE_DIR, `holder-${size}.cpuprofile`), JSON.stringify(await holderProfile!.stop()));
          const breakdown = await joiner.evaluate(() => window.sync.ingestStats());
          console.error(`[catchup] joiner breakdown: ${JSON.stringify(breakdown)}`);
          writeFileSync(join(PROFILE_DIR, `joiner-${size}-breakdown.json`), JSON.stringify(breakdown, null, 2));
        }
        for (const c of ctxs) await c.close();
      }
      for (const c of contexts) await c.close();
      out[`catchUp${size}OpsPerSec`] = median(rates);
      out[`catchUp${size}ImportOpsPerSec`] = backup.ops / (importMs / 1000);
      out[`catchUp${size}BackupMs`] = backupMs;
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
