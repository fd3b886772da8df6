// The board on a phone (docs/SPEC.md UI12, UI13): a 390 × 844 touch screen.
// The page never scrolls sideways — only the board does, a column at a time —
// dialogs fit the screen, a tap creates and opens a story, and the room's QR
// code carries exactly the room link (its modules are read back from the
// rendered image and compared with the qrcode library's matrix for the link).
import QRCode from 'qrcode';
import { expect, test, type Page } from '@playwright/test';

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

async function openBoard(page: Page): Promise<void> {
  await page.addInitScript(() => localStorage.setItem('huskies-name', 'Phone'));
  await page.goto('/');
  await expect(page.locator('[data-phase="open"]')).toBeVisible();
}

/** Whether an element lies within the viewport's width. */
async function fitsWidth(page: Page, testId: string): Promise<boolean> {
  const box = await page.getByTestId(testId).boundingBox();
  return box !== null && box.x >= 0 && box.x + box.width <= 390 + 0.5;
}

test('[UI12] on a phone the page does not scroll sideways; the board does, a column per screen', async ({ page }) => {
  await openBoard(page);
  const widths = await page.evaluate(() => {
    const board = document.querySelector('.board') as HTMLElement;
    const col = document.querySelector('[data-column="backlog"]') as HTMLElement;
    return {
      page: document.documentElement.scrollWidth, viewport: window.innerWidth,
      boardScroll: board.scrollWidth, boardClient: board.clientWidth,
      column: col.getBoundingClientRect().width, snap: getComputedStyle(board).scrollSnapType,
    };
  });
  expect(widths.page).toBeLessThanOrEqual(widths.viewport);
  expect(widths.boardScroll).toBeGreaterThan(widths.boardClient);
  expect(widths.column).toBeGreaterThan(0.7 * widths.viewport);
  expect(widths.column).toBeLessThanOrEqual(widths.viewport);
  expect(widths.snap).toContain('x');
});

test('[UI12][UI8] on a phone a tap creates a story and opens it; dialogs fit the screen', async ({ page }) => {
  await openBoard(page);
  await page.getByRole('button', { name: 'New story' }).tap();
  const dialog = page.getByTestId('new-story');
  await expect(dialog).toBeVisible();
  expect(await fitsWidth(page, 'new-story')).toBe(true);
  await dialog.getByLabel('Title').fill('Tapped in on the train');
  await dialog.getByRole('button', { name: 'Create' }).tap();
  await expect(dialog).toHaveCount(0);
  const card = page.locator('[data-story-id]', { hasText: 'Tapped in on the train' });
  await expect(card).toBeVisible();
  await card.tap();
  const editor = page.getByTestId('story-editor');
  await expect(editor).toBeVisible();
  expect(await fitsWidth(page, 'story-editor')).toBe(true);
  await expect(editor.getByTestId('edit-title')).toHaveValue('Tapped in on the train');
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
});

test('[UI13] the room QR code encodes exactly the room link', async ({ page }) => {
  await openBoard(page);
  await page.getByTestId('share').tap();
  await expect(page.getByTestId('room')).toBeVisible();
  expect(await fitsWidth(page, 'room')).toBe(true);
  const link = await page.getByTestId('room-link').inputValue();
  expect(link).toBe(await page.evaluate(() => location.href));
  expect(link).toMatch(/#/);
  await expect(page.getByTestId('room-qr')).toBeVisible();
  // The library's module matrix for the link, with the margin the panel uses (1).
  const qr = QRCode.create(link, {});
  const size = qr.modules.size;
  const expected = Array.from({ length: size * size }, (_, i) => qr.modules.get(Math.floor(i / size), i % size) ? 1 : 0);
  // Read each module's centre from the rendered image.
  const read = await page.getByTestId('room-qr').evaluate(async (img: HTMLImageElement, n: number) => {
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const cell = img.naturalWidth / (n + 2);
    const out: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const px = ctx.getImageData(Math.floor((c + 1.5) * cell), Math.floor((r + 1.5) * cell), 1, 1).data;
        out.push(px[0]! < 128 ? 1 : 0);
      }
    }
    return out;
  }, size);
  expect(read).toEqual(expected);
});
