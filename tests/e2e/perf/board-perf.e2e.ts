// Runs the board measurements (docs/SPEC.md UI15). By default on a small
// board, only to check that they work; HUSKIES_UI_BENCH=1 runs them at full
// size (10,000 stories; a 100,000-op cold open) and prints the figures.
import { expect, test } from '@playwright/test';
import { cachedBackup, measureColdOpens, measureKeyMove, measureSearchTyping, openNewBoard, seedFromBackup, snapshotOps } from './board-perf';

const FULL = process.env.HUSKIES_UI_BENCH === '1';

test('[UI15] keypress → card on screen and search typing are measured on a seeded board', async ({ page }) => {
  test.setTimeout(FULL ? 1_200_000 : 90_000);
  const stories = FULL ? 10_000 : 60;
  await openNewBoard(page);
  await seedFromBackup(page, await cachedBackup({ stories, ops: stories + 1 }));
  await expect(page.getByTestId('count-backlog')).toHaveText(String(Math.ceil(stories / 5)));
  const move = await measureKeyMove(page, FULL ? 50 : 6);
  const search = await measureSearchTyping(page, FULL ? 50 : 6);
  const f = (t: { median: number; p95: number }) => `median ${t.median.toFixed(1)} ms (p95 ${t.p95.toFixed(1)})`;
  console.log(`[UI15] ${stories} stories: Alt+→ → card in DOM ${f(move.dom)}, painted ${f(move.frame)}; search keystroke → DOM ${f(search.dom)}, painted ${f(search.frame)}`);
  expect(move.dom.samples.length).toBe(FULL ? 50 : 6);
  expect(move.dom.median).toBeGreaterThan(0);
});

test('[UI15][REPL12] cold open of an imported board is measured to huskies:board-ready, without and with the snapshot', async ({ page }) => {
  test.setTimeout(FULL ? 1_800_000 : 120_000);
  const size = FULL ? { stories: 10_000, ops: 100_000 } : { stories: 40, ops: 200 };
  await openNewBoard(page);
  await seedFromBackup(page, await cachedBackup(size), FULL ? 1_500_000 : 60_000);
  const { withoutSnapshot, withSnapshot } = await measureColdOpens(page, size.ops);
  await expect(page.getByTestId('count-backlog')).toHaveText(String(size.stories / 5));
  expect(await snapshotOps(page)).toBeGreaterThanOrEqual(size.ops);
  // Interactive: a command works on the board opened from the snapshot.
  await page.keyboard.press('n');
  await page.getByLabel('Title').fill('after a cold open');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('count-backlog')).toHaveText(String(size.stories / 5 + 1));
  console.log(`[UI15] cold open of ${size.ops} ops / ${size.stories} stories, navigation start to board-ready: ${withoutSnapshot.toFixed(0)} ms without a snapshot, ${withSnapshot.toFixed(0)} ms with the app's snapshot`);
  expect(withSnapshot).toBeGreaterThan(0);
});
