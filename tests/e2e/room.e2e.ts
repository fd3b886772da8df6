// Two browsers (separate profiles) in one room through the app itself: the
// room link, the real relay at /relay and real WebRTC (docs/SPEC.md UI13,
// UI18, SYNC16). The sync specs drive the same parts through a harness page;
// this one goes through what a person sees. Every wait is on a locator.
import { expect, test, type Page } from '@playwright/test';
import { cachedBackup, openNewBoard, seedFromBackup } from './perf/board-perf';

test.describe.configure({ timeout: 120_000 });

const STORIES = 2_000;

/** Records every text the header's syncing pill shows (it may come and go between two polls of a locator). */
async function recordSyncPill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const texts: string[] = [];
    (window as unknown as { syncPill: string[] }).syncPill = texts;
    const note = () => {
      const pill = document.querySelector('[data-testid="sync-progress"]');
      const text = pill?.textContent?.trim().replace(/\s+/g, ' ');
      if (text && texts.at(-1) !== text) texts.push(text);
    };
    new MutationObserver(note).observe(document, { childList: true, subtree: true, characterData: true });
  });
}

async function findStory(page: Page, title: string): Promise<void> {
  await page.getByTestId('search').fill(title);
  await expect(page.locator('[data-story-id]', { hasText: title })).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('search').fill('');
}

test('[UI18][UI13][SYNC16] a second browser opens the room link, shows its catch-up, gets the board, and edits flow both ways', async ({ page, browser }) => {
  await openNewBoard(page);
  await seedFromBackup(page, await cachedBackup({ stories: STORIES, ops: STORIES + 1 }), 60_000);
  const link = page.url();
  expect(new URL(link).hash).toMatch(/^#/);

  const other = await browser.newContext();
  try {
    const b = await other.newPage();
    await b.addInitScript(() => localStorage.setItem('huskies-name', 'Bo'));
    await recordSyncPill(b);
    await b.goto(link);
    await expect(b.locator('[data-phase="open"]')).toBeVisible({ timeout: 60_000 });

    // The whole board arrives, and the pill goes once the catch-up is live.
    await findStory(b, `Story ${STORIES - 1}: make`);
    await expect(b.getByTestId('sync-progress')).toHaveCount(0, { timeout: 60_000 });
    const texts = await b.evaluate(() => (window as unknown as { syncPill: string[] }).syncPill);
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(t).toMatch(/^Syncing (\d|[1-9]\d|100)%$/);
    // It counted up while the ops came in.
    expect(texts.some((t) => t !== 'Syncing 0%' && t !== 'Syncing 100%')).toBe(true);
    await expect(b.getByTestId('share')).toHaveText('Share · 1 peer');

    // Live both ways, over the same connection.
    await b.getByRole('button', { name: 'New story' }).click();
    await b.getByTestId('new-story').getByLabel('Title').fill('Made in the second browser');
    await b.getByTestId('new-story').getByRole('button', { name: 'Create' }).click();
    await findStory(page, 'Made in the second browser');
    await page.getByRole('button', { name: 'New story' }).click();
    await page.getByTestId('new-story').getByLabel('Title').fill('Made in the first browser');
    await page.getByTestId('new-story').getByRole('button', { name: 'Create' }).click();
    await findStory(b, 'Made in the first browser');
  } finally {
    await other.close();
  }
});
