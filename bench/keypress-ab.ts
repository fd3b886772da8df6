// Before/after of the keypress path (issue 4) on a noisy shared machine:
// two builds of the app (two checkouts, each served by its own
// `scripts/start.js`), one 10,000-story board each, measured in alternating
// rounds with tests/e2e/perf/board-perf.ts, one board open at a time (an
// idle board's worker must not take CPU from the measured one). Prints
// pooled medians and, from a Chromium trace of each, the CPU (thread time)
// per key move and per search keystroke by thread and category, which is
// far steadier than wall time under load.
//
//   node --import tsx bench/keypress-ab.ts <rootA> <rootB> [rounds]
//
// Ports: HUSKIES_BENCH_PORT (default 8798) and the next one.
import { spawn } from 'node:child_process';
import { chromium, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../tests/e2e/support/browser.js';
import { cachedBackup, measureKeyMove, measureSearchTyping, openNewBoard, seedFromBackup } from '../tests/e2e/perf/board-perf.js';

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string; data?: { type?: string } } }

async function startApp(root: string, port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['scripts/start.js'], { cwd: root, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('running at')) resolve(); });
    child.on('exit', (code) => reject(new Error(`npm start in ${root} exited with ${code}`)));
  });
  return () => child.kill();
}

async function traced(cdp: CDPSession, fn: () => Promise<unknown>): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  const on = (e: { value: object[] }) => { events.push(...(e.value as TraceEvent[])); };
  cdp.on('Tracing.dataCollected', on);
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8.execute,toplevel', transferMode: 'ReportEvents' });
  await fn();
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', on);
  return events;
}

const category = (n: string): string | null =>
  /UpdateLayoutTree/.test(n) ? 'style' : n === 'Layout' ? 'layout'
    : /PrePaint|Paint|Layerize|Commit|IntersectionObserver|HitTest/.test(n) ? 'paint'
      : /GC|Scavenge/.test(n) ? 'gc'
        : /FunctionCall|EventDispatch|RunMicrotasks|FireAnimationFrame|TimerFire|HandlePostMessage|V8\./.test(n) ? 'script' : null;

/** Self thread time per iteration by thread (page main, worker) and category, in the renderer that took the keydowns. */
function cpuPerIteration(events: TraceEvent[], n: number): Record<string, number> {
  const threads = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  const pid = events.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown')?.pid;
  const out: Record<string, number> = {};
  for (const [prefix, label] of [['CrRendererMain', 'page'], ['DedicatedWorker', 'worker']] as const) {
    const list = events.filter((e) => e.ph === 'X' && e.dur !== undefined && e.pid === pid && (threads.get(`${e.pid}:${e.tid}`) ?? '').startsWith(prefix))
      .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const stack: { e: TraceEvent; child: number; cat: string | null }[] = [];
    const close = (upTo: number) => {
      while (stack.length > 0 && stack.at(-1)!.e.ts + stack.at(-1)!.e.dur! <= upTo) {
        const x = stack.pop()!;
        const total = x.e.tdur ?? x.e.dur!;
        let cat = x.cat;
        for (let k = stack.length - 1; cat === null && k >= 0; k--) cat = stack[k]!.cat;
        const key = `${label} ${cat ?? 'other'}`;
        out[key] = (out[key] ?? 0) + Math.max(0, total - x.child) / 1000 / n;
        if (stack.length > 0) stack.at(-1)!.child += total;
      }
    };
    for (const e of list) { close(e.ts); stack.push({ e, child: 0, cat: category(e.name) }); }
    close(Infinity);
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (o: Record<string, number>) => Object.entries(o).sort().map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ');

async function main(): Promise<void> {
  const [rootA, rootB, roundsArg] = process.argv.slice(2);
  if (!rootA || !rootB) throw new Error('usage: bench/keypress-ab.ts <rootA> <rootB> [rounds]');
  const rounds = Number(roundsArg ?? 4);
  const base = Number(process.env.HUSKIES_BENCH_PORT ?? 8798);
  const apps = [{ root: rootA, port: base }, { root: rootB, port: base + 1 }];
  const stops = await Promise.all(apps.map((a) => startApp(a.root, a.port)));
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const backup = await cachedBackup({ stories: 10_000, ops: 10_001 });
    const boards: { ctx: BrowserContext; url: string }[] = [];
    for (const a of apps) {
      const ctx = await browser.newContext({ baseURL: `http://127.0.0.1:${a.port}` });
      // tsx's __name helper, referenced by functions sent to page.evaluate.
      await ctx.addInitScript({ content: 'globalThis.__name = (f) => f;' });
      const page = await ctx.newPage();
      await openNewBoard(page);
      await seedFromBackup(page, backup);
      boards.push({ ctx, url: page.url() });
      await page.close();
    }
    const open = async (i: number): Promise<Page> => {
      const page = await boards[i]!.ctx.newPage();
      await page.goto(boards[i]!.url);
      await page.waitForFunction(() => performance.getEntriesByName('huskies:board-ready').length > 0, undefined, { timeout: 300_000 });
      await measureKeyMove(page, 4);
      return page;
    };
    const samples = apps.map(() => ({ keyDom: [] as number[], keyFrame: [] as number[], searchDom: [] as number[], searchFrame: [] as number[] }));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < apps.length; k++) {
        const i = (k + r) % apps.length;
        const page = await open(i);
        const move = await measureKeyMove(page, 20);
        const search = await measureSearchTyping(page, 16);
        const s = samples[i]!;
        s.keyDom.push(...move.dom.samples); s.keyFrame.push(...move.frame.samples);
        s.searchDom.push(...search.dom.samples); s.searchFrame.push(...search.frame.samples);
        console.log(`round ${r} ${apps[i]!.root}: key ${move.dom.median.toFixed(1)} / ${move.frame.median.toFixed(1)} ms · search ${search.dom.median.toFixed(1)} / ${search.frame.median.toFixed(1)} ms`);
        await page.close();
      }
    }
    for (let i = 0; i < apps.length; i++) {
      const page = await open(i);
      const cdp = await page.context().newCDPSession(page);
      console.log(`CPU ms per key move, ${apps[i]!.root}: ${fmt(cpuPerIteration(await traced(cdp, () => measureKeyMove(page, 20)), 20))}`);
      console.log(`CPU ms per search keystroke, ${apps[i]!.root}: ${fmt(cpuPerIteration(await traced(cdp, () => measureSearchTyping(page, 16)), 16))}`);
      await page.close();
    }
    for (let i = 0; i < apps.length; i++) {
      const s = samples[i]!;
      console.log(`${apps[i]!.root}: keypress → DOM ${median(s.keyDom).toFixed(1)} ms, painted ${median(s.keyFrame).toFixed(1)} ms (n=${s.keyDom.length}); ` +
        `search keystroke → DOM ${median(s.searchDom).toFixed(1)} ms, painted ${median(s.searchFrame).toFixed(1)} ms (n=${s.searchDom.length})`);
    }
  } finally {
    await browser.close();
    for (const stop of stops) stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
