// Browser benchmark (issue 4/6): the board as people use it, in Debian's
// Chromium, against the app `npm start` serves — time from a keypress to the
// card on screen and from a search keystroke to the filtered board on a
// 10,000-story board, and cold open of a 100,000-op board to
// `huskies:board-ready` without and with the app's snapshot (REPL12). Sizes shrink with HUSKIES_BENCH_BOARD_SCALE (0–1);
// HUSKIES_BENCH_BOARD_COLD=0 skips the cold open (its 100,000-op import takes
// minutes).
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { startApp } from '../browser-app.js';
import { cachedBackup, measureColdOpens, measureKeyMove, measureSearchTyping, openNewBoard, seedFromBackup } from '../../tests/e2e/perf/board-perf.js';

const SCALE = Number(process.env.HUSKIES_BENCH_BOARD_SCALE ?? 1);
const PORT = Number(process.env.HUSKIES_BENCH_PORT ?? 8798);
const COLD = process.env.HUSKIES_BENCH_BOARD_COLD !== '0';

export async function run(): Promise<Record<string, number>> {
  const stop = await startApp(PORT);
  const browser = await chromium.launch(chromiumLaunchOptions());
  // tsx keeps function names with an `__name` helper that functions sent to
  // page.evaluate then reference; give the page a no-op one.
  const newContext = async () => {
    const ctx = await browser.newContext({ baseURL: `http://127.0.0.1:${PORT}` });
    await ctx.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    return ctx;
  };
  try {
    const stories = Math.max(100, Math.round(10_000 * SCALE));
    const keyCtx = await newContext();
    const page = await keyCtx.newPage();
    await openNewBoard(page);
    await seedFromBackup(page, await cachedBackup({ stories, ops: stories + 1 }));
    await measureKeyMove(page, 4); // warm-up
    const move = await measureKeyMove(page, 50);
    const search = await measureSearchTyping(page, 48);
    await keyCtx.close();
    const keypress = {
      boardStories: stories,
      keypressToDomMedianMs: move.dom.median,
      keypressToPaintMedianMs: move.frame.median,
      searchKeystrokeToDomMedianMs: search.dom.median,
      searchKeystrokeToPaintMedianMs: search.frame.median,
    };
    if (!COLD) return keypress;

    const ops = Math.max(1_000, Math.round(100_000 * SCALE));
    const coldCtx = await newContext();
    const cold = await coldCtx.newPage();
    await openNewBoard(cold);
    await seedFromBackup(cold, await cachedBackup({ stories: Math.round(ops / 10), ops }), 1_500_000);
    // Both ways, by reload (bench/browser/cold-open.ts does it with a new browser per sample).
    const coldMs = await measureColdOpens(cold, ops);
    await coldCtx.close();
    return {
      ...keypress,
      coldOpenOps: ops,
      coldOpenNoSnapshotMs: coldMs.withoutSnapshot,
      coldOpenMs: coldMs.withSnapshot,
    };
  } finally {
    await browser.close();
    stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
