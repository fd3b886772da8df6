// The app shell in real Chromium, served as `npm start` serves it: columns,
// service worker control, offline reload, the update prompt, installability,
// the manifest, cache headers and the same-origin relay (docs/SPEC.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type Page } from '@playwright/test';
import { E2E_BASE_URL, chromiumLaunchOptions } from './support/browser';
import { startDeployProxy } from './support/deploy-proxy';

const STAGE_LABELS = ['Backlog', 'Current', 'QA', 'Merge', 'Done', 'Archived'];

/** Waits until the service worker controls the page: an event, not a sleep. */
async function waitForControl(page: Page): Promise<string> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return page.evaluate(() => navigator.serviceWorker.controller!.scriptURL);
}

/** Width and height from a PNG's IHDR chunk, or null when it is not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.subarray(0, 8).toString('hex') !== signature) return null;
  if (bytes.subarray(12, 16).toString('ascii') !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('[APP1] the page loads with the header and the six stage columns in order', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'huskies' })).toBeVisible();
  const columns = page.getByRole('main').getByRole('heading', { level: 2 });
  await expect(columns).toHaveCount(6);
  for (const [index, label] of STAGE_LABELS.entries()) {
    await expect(columns.nth(index)).toContainText(label);
  }
  const stages = await page.locator('[data-stage]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-stage')));
  expect(stages).toEqual(['backlog', 'current', 'qa', 'merge', 'done', 'archived']);
});

test('[APP4] the service worker controls the page after the first load', async ({ page }) => {
  await page.goto('/');
  const scriptURL = await waitForControl(page);
  expect(new URL(scriptURL).pathname).toBe('/sw.js');
  // APP3: the shell is in the precache, not fetched on demand.
  const precached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls: string[] = [];
    for (const name of names) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return { names, urls };
  });
  expect(precached.urls).toContain('/index.html');
  expect(precached.urls.some((path) => /^\/assets\/index-.*\.js$/.test(path))).toBe(true);
  expect(precached.urls).toContain('/icons/icon-512.png');
  // APP6: the precache is the only cache; nothing is cached at run time.
  expect(precached.names.every((name) => name.startsWith('workbox-precache'))).toBe(true);
});

test('[APP3] offline, a reload still opens the shell from the service worker', async ({ page, context }) => {
  await page.goto('/');
  await waitForControl(page);
  await context.setOffline(true);
  // The network really is gone: a path outside the precache fails.
  const probe = await page.evaluate(() => fetch('/not-precached-probe.txt').then(() => 'reached', () => 'failed'));
  expect(probe).toBe('failed');
  const response = await page.reload();
  expect(response?.fromServiceWorker()).toBe(true);
  await expect(page.getByRole('heading', { level: 1, name: 'huskies' })).toBeVisible();
  await expect(page.getByRole('main').getByRole('heading', { level: 2 })).toHaveCount(6);
  // A deep link is an app route: the navigation fallback serves the shell.
  const deep = await page.goto('/some/deep/link');
  expect(deep?.fromServiceWorker()).toBe(true);
  await expect(page.getByRole('main').getByRole('heading', { level: 2 })).toHaveCount(6);
});

test('[APP7] the offline indicator follows the browser going offline and online', async ({ page, context }) => {
  await page.goto('/');
  const indicator = page.getByTestId('offline-indicator');
  await expect(page.getByRole('heading', { level: 1, name: 'huskies' })).toBeVisible();
  await expect(indicator).toHaveCount(0);
  await context.setOffline(true);
  await expect(indicator).toBeVisible();
  await context.setOffline(false);
  await expect(indicator).toHaveCount(0);
});

test('[APP5] a new service worker waits and is offered as "New version — reload"', async ({ page }) => {
  // A proxy origin whose sw.js changes on deploy(), as after a real rebuild.
  const proxy = await startDeployProxy(E2E_BASE_URL);
  try {
    await page.goto(`${proxy.origin}/`);
    await waitForControl(page);
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
    proxy.deploy();
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    const prompt = page.getByTestId('update-prompt');
    await expect(prompt).toBeVisible();
    // Until the user accepts, the new worker waits and the old one keeps control.
    const state = await page.evaluate(async () => {
      const registration = (await navigator.serviceWorker.getRegistration())!;
      return { waiting: registration.waiting !== null, controller: navigator.serviceWorker.controller?.state };
    });
    expect(state).toEqual({ waiting: true, controller: 'activated' });
    const reloaded = page.waitForEvent('load');
    await prompt.getByRole('button', { name: 'New version — reload' }).click();
    await reloaded;
    await expect(page.getByRole('heading', { level: 1, name: 'huskies' })).toBeVisible();
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
    const after = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.waiting);
    expect(after).toBeNull();
  } finally {
    await proxy.close();
  }
});

test('[APP2] the manifest parses and names installable icons that exist', async ({ page, request }) => {
  const response = await request.get('/manifest.webmanifest');
  expect(response.ok()).toBe(true);
  const manifest = (await response.json()) as {
    name: string; short_name: string; start_url: string; display: string;
    theme_color: string; background_color: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(manifest).toMatchObject({ name: 'huskies', short_name: 'huskies', start_url: '/', display: 'standalone' });
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  const sizes = manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose ?? 'any'}`);
  expect(sizes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const icon of manifest.icons) {
    const image = await request.get(icon.src);
    expect(image.headers()['content-type']).toBe('image/png');
    const [width, height] = icon.sizes.split('x').map(Number);
    expect(pngSize(await image.body())).toEqual({ width, height });
  }
  // Chromium's own parser agrees: no manifest errors.
  await page.goto('/');
  const cdp = await page.context().newCDPSession(page);
  const parsed = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] };
  expect(new URL(parsed.url).pathname).toBe('/manifest.webmanifest');
  expect(parsed.errors).toEqual([]);
});

test('[APP2] Chromium reports no installability errors in a persistent profile', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'huskies-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...chromiumLaunchOptions(),
    headless: true,
    baseURL: E2E_BASE_URL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/');
    await waitForControl(page);
    const cdp = await context.newCDPSession(page);
    const result = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(result.installabilityErrors.map((error) => error.errorId)).toEqual([]);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('[APP9] the server sends sw.js and index.html uncached, hashed assets immutable, routes as the shell', async ({ request }) => {
  const sw = await request.get('/sw.js');
  expect(sw.headers()['cache-control']).toBe('no-cache');
  const index = await request.get('/');
  expect(index.headers()['cache-control']).toBe('no-cache');
  const html = await index.text();
  const asset = /\/assets\/index-[\w-]+\.js/.exec(html)?.[0];
  expect(asset).toBeTruthy();
  expect((await request.get(asset!)).headers()['cache-control']).toContain('immutable');
  const route = await request.get('/room/abc');
  expect(route.status()).toBe(200);
  expect(await route.text()).toBe(html);
  expect((await request.get('/missing-file.js')).status()).toBe(404);
});

test('[APP10] the relay answers on the same origin at /relay', async ({ page }) => {
  await page.goto('/');
  const reply = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/relay`);
        socket.onopen = () => socket.send(JSON.stringify({ type: 'ping' }));
        socket.onmessage = (event) => {
          resolve(String(event.data));
          socket.close();
        };
        socket.onerror = () => resolve('error');
      }),
  );
  expect(JSON.parse(reply)).toEqual({ type: 'pong' });
});
