// Unit, contract, simulation and property tests run in Node. Browser tests
// (*.web.test.ts, tests/e2e) run under Playwright in real Chromium instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'relay/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.web.test.ts', 'tests/e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
