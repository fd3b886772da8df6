// The storage contract suite against IdbOpStore in real Chromium (STYLE 3,
// docs/SPEC.md STORE rules): the same cases vitest runs under fake-indexeddb.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';

const root = fileURLToPath(new URL('../../../', import.meta.url));
let vite: ViteDevServer;
let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  vite = await createServer({
    configFile: false, root, logLevel: 'error', cacheDir: 'node_modules/.vite-e2e-storage',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { entries: ['tests/e2e/storage/harness.html'], include: ['idb'] },
  });
  await vite.listen();
  const { port } = vite.httpServer!.address() as AddressInfo;
  page = await (await browser.newContext()).newPage();
  await page.goto(`http://127.0.0.1:${port}/tests/e2e/storage/harness.html`);
  await page.waitForFunction(() => window.storeContract !== undefined);
});

test.afterAll(async () => {
  await page?.context().close();
  await vite?.close();
});

test('[STORE1–STORE16] the OpStore, MetaStore and SealStore contracts and the IdbOpStore format cases pass on real IndexedDB', async () => {
  const cases = await page.evaluate(() => window.storeContract.cases());
  expect(cases.length).toBeGreaterThan(5);
  const failures: string[] = [];
  for (let i = 0, k = 0; k < cases.length; k++) {
    const c = cases[k]!;
    i = cases.slice(0, k).filter((x) => x.suite === c.suite).length;
    const r = await page.evaluate(([suite, index]) => window.storeContract.run(suite, index), [c.suite, i] as const);
    if (!r.ok) failures.push(`[${c.rule}] ${c.name}: ${r.error}`);
  }
  expect(failures).toEqual([]);
});
