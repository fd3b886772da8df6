// Catch-up benchmark (issues 5/6): a holder imports a big room once, then
// several late joiners, one after the other, catch up from it over real
// WebRTC through the real relay, in Chromium. Medians of the runs per size.
// With HUSKIES_CATCHUP_PROFILE=<dir>, the last joiner's replica worker and the
// holder's replica worker are CPU-profiled through CDP (.cpuprofile files, open
// them in Chrome DevTools), and the joiner reports its own phase breakdown.
//
//   node --import tsx bench/browser/catchup.ts                 # 10,000 and 100,000 ops, 3 joiners each
//   HUSKIES_CATCHUP_SIZES=20000 HUSKIES_CATCHUP_RUNS=5 node --import tsx bench/browser/catchup.ts
//   HUSKIES_CATCHUP_PEERS=2 …   # the room has two peers online when a joiner comes
// (By default a 20,000-op room with two peers online is measured too.)
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { treeCpuByProcess, treeCpuMs } from '../proc-cpu.js';
import { cachedBackup } from '../../tests/e2e/perf/board-perf.js';
import { newRoom, openPeer, startSyncServer } from '../../tests/e2e/sync/sync-fixture.js';

const SIZES = (process.env.HUSKIES_CATCHUP_SIZES ?? '10000,100000').split(',').map(Number);
const RUNS = Number(process.env.HUSKIES_CATCHUP_RUNS ?? 3);
const PROFILE_DIR = process.env.HUSKIES_CATCHUP_PROFILE;
/** Peers holding the room when a joiner comes (REPL16: every one of them streams its catch-up to it). */
const PEERS = Number(process.env.HUSKIES_CATCHUP_PEERS ?? 1);
/** What is measured: each size with PEERS peers, and by default also a 20,000-op room with two peers online. */
const CASES = [
  ...SIZES.map((size) => ({ size, peers: PEERS })),
  ...(process.env.HUSKIES_CATCHUP_SIZES || process.env.HUSKIES_CATCHUP_PEERS ? [] : [{ size: 20_000, peers: 2 }]),
];



/** CPU ms per thread name of one process (Chromium names its threads: CrRendererMain, DedicatedWorker…). */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tasks: string[] = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tasks) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const key = `${name}#${t}`;
      out.set(key, (Number(f[11]) + Number(f[12])) * 10);
    } catch { /* gone */ }
  }
  return out;
}

/**
 * Until the page's replica has written its snapshot and cached view for
 * every op it holds: a write the idle timer started answers 'not yet', so
 * this asks again after a pause (a bench's set-up, not a test's sync).
 */
async function snapshotWritten(page: Page): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await page.evaluate(() => window.sync.writeSnapshot());
    if (r === 'written' || r === 'not needed') return;
    if (r === 'blocked') throw new Error('the replica cannot write its snapshot');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the replica wrote no snapshot in 30 s');
}

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
    for (const { size, peers } of CASES) {
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
      // A room's holder has long stored it: the first joiner must not share the CPUs with the import's writes.
      await holder.evaluate((n) => window.sync.waitForPersisted(n), backup.ops);
      // …nor with its first snapshot: a holder has long written it (the idle timer would write it during the first catch-up).
      await snapshotWritten(holder);
      // More peers holding the room (they catch up from the holder first, and stay).
      for (let p = 1; p < peers; p++) {
        const peer = await openPeer(browser, server, room, `Bo${p}`, false, contexts);
        await peer.evaluate((n) => window.sync.waitForPersisted(n), backup.ops);
        await snapshotWritten(peer);
      }
      const rates: number[] = [];
      const cpuPerOp: number[] = [];
      const durableRates: number[] = [];
      const durableCpuPerOp: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const profiling = PROFILE_DIR !== undefined && r === RUNS - 1;
        const holderProfile = profiling ? await profileWorker(holder) : undefined;
        const ctxs: BrowserContext[] = [];
        const joiner = await openPeer(browser, server, room, `Cy${r}`, false, ctxs);
        const joinerProfile = profiling ? await profileWorker(joiner) : undefined;
        const pageCdp = profiling ? await joiner.context().newCDPSession(joiner) : undefined;
        if (pageCdp) { await pageCdp.send('Profiler.enable'); await pageCdp.send('Profiler.setSamplingInterval', { interval: 200 }); await pageCdp.send('Profiler.start'); }
        // This process (bench, Vite, relay) and its children (Chromium's whole tree).
        const c0 = treeCpuMs(process.pid);
        const perProcess0 = treeCpuByProcess(process.pid);
        const threads0 = new Map<number, Map<string, number>>();
        for (const [pid, p] of perProcess0) if (p.label === 'renderer') threads0.set(pid, threadCpuMs(pid));
        const ms = await joiner.evaluate((n) => window.sync.waitForOps(n), backup.ops);
        const cpu = treeCpuMs(process.pid) - c0;
        // How much of the log was written while the catch-up ran (REPL18): the last status the page had.
        const writtenAtShown = await joiner.evaluate(() => window.sync.persistTrace().at(-1)?.persisted ?? 0);
        // Shown is not yet stored: the rest of the IndexedDB writes is the
        // "durable" figure (until then a crash would re-fetch the tail).
        const durableMs = ms + await joiner.evaluate((n) => window.sync.waitForPersisted(n), backup.ops);
        const durableCpu = treeCpuMs(process.pid) - c0;
        rates.push(backup.ops / (ms / 1000));
        cpuPerOp.push((cpu * 1000) / backup.ops);
        durableRates.push(backup.ops / (durableMs / 1000));
        durableCpuPerOp.push((durableCpu * 1000) / backup.ops);
        console.error(`[catchup] ${backup.ops} ops${peers > 1 ? ` from ${peers} peers` : ''}: run ${r + 1}/${RUNS} ${ms.toFixed(0)} ms = ${Math.round(backup.ops / (ms / 1000))} ops/s; ` +
          `CPU of browser + relay ${Math.round(cpu)} ms = ${Math.round((cpu * 1000) / backup.ops)} µs/op; ` +
          `durable after ${durableMs.toFixed(0)} ms = ${Math.round(backup.ops / (durableMs / 1000))} ops/s, ${Math.round((durableCpu * 1000) / backup.ops)} µs/op; ` +
          `${Math.round((100 * writtenAtShown) / backup.ops)} % written when shown (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
        {
          // Where the CPU went: per process, and per thread of each renderer (CPU time from /proc, cheap enough for every run).
          const after = treeCpuByProcess(process.pid);
          const rows = [...after].map(([pid, p]) => ({ pid, label: p.label, usPerOp: Math.round(((p.cpu - (perProcess0.get(pid)?.cpu ?? 0)) * 1000) / backup.ops) }))
            .filter((r) => r.usPerOp > 0).sort((a, b) => b.usPerOp - a.usPerOp);
          console.error(`[catchup] CPU per process, µs/op: ${rows.map((r) => `${r.label}(${r.pid}) ${r.usPerOp}`).join(', ')}`);
          for (const [pid, before] of threads0) {
            const perThread = [...threadCpuMs(pid)].map(([name, cpu]) => [name.replace(/#\d+$/, ''), Math.round(((cpu - (before.get(name) ?? 0)) * 1000) / backup.ops)] as const)
              .filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]);
            if (perThread.length > 0) console.error(`[catchup]   renderer(${pid}) threads, µs/op: ${perThread.map(([n, us]) => `${n} ${us}`).join(', ')}`);
          }
        }
        if (profiling) {
          mkdirSync(PROFILE_DIR, { recursive: true });
          writeFileSync(join(PROFILE_DIR, `joiner-${size}.cpuprofile`), JSON.stringify(await joinerProfile!.stop()));
          writeFileSync(join(PROFILE_DIR, `holder-${size}.cpuprofile`), JSON.stringify(await holderProfile!.stop()));
          writeFileSync(join(PROFILE_DIR, `joiner-page-${size}.cpuprofile`), JSON.stringify((await pageCdp!.send('Profiler.stop')).profile));
          const breakdown = await joiner.evaluate(() => window.sync.ingestStats());
          console.error(`[catchup] joiner breakdown: ${JSON.stringify(breakdown)}`);
          writeFileSync(join(PROFILE_DIR, `joiner-${size}-breakdown.json`), JSON.stringify(breakdown, null, 2));
        }
        for (const c of ctxs) await c.close();
      }
      for (const c of contexts) await c.close();
      const key = peers > 1 ? `catchUp${size}From${peers}Peers` : `catchUp${size}`;
      out[`${key}OpsPerSec`] = median(rates);
      // All CPU the catch-up took (sender, receiver, relay, storage, network), per op:
      // 2,000,000 / this is the rate two otherwise idle cores would allow.
      out[`${key}CpuUsPerOp`] = median(cpuPerOp);
      // Until every op is also written to IndexedDB (none pending).
      out[`${key}DurableOpsPerSec`] = median(durableRates);
      out[`${key}DurableCpuUsPerOp`] = median(durableCpuPerOp);
      out[`${key}ImportOpsPerSec`] = backup.ops / (importMs / 1000);
      out[`${key}BackupMs`] = backupMs;
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
