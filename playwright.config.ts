// Browser tests in real Chromium (no downloaded browsers): the app as
// `npm start` serves it — built dist/ plus the relay at /relay — on E2E_PORT
// (docs/SPEC.md APP11, APP12). Each test gets a fresh browser context.
import { defineConfig } from '@playwright/test';
import { E2E_BASE_URL, E2E_PORT, chromiumLaunchOptions } from './tests/e2e/support/browser';

export default defineConfig({
  // Root as testDir so browser-only unit tests beside their source (STYLE rule 10) run too.
  testDir: '.',
  testMatch: ['tests/e2e/**/*.e2e.ts', 'src/**/*.web.test.ts'],
  testIgnore: ['**/node_modules/**', '**/dist/**'],
  outputDir: 'test-results',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Two cores: one worker on CI, two locally; E2E_WORKERS overrides.
  workers: Number.parseInt(process.env.E2E_WORKERS ?? (process.env.CI ? '1' : '2'), 10),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: E2E_BASE_URL,
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    serviceWorkers: 'allow',
  },
  webServer: {
    // The same server as `npm start`: builds dist/ when stale, then serves it and /relay.
    command: 'node scripts/start.js',
    url: `${E2E_BASE_URL}/`,
    env: { PORT: String(E2E_PORT), HOST: '127.0.0.1' },
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
