// Finds a Chromium for the browser tests without downloading one: CHROMIUM_PATH,
// else /usr/bin/chromium, else a browser Playwright installed itself
// (docs/SPEC.md APP11). Run as a script it prints the path, or says exactly
// what to install and exits 1, so `npm run test:e2e` fails with a clear message.
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type ChromiumLookup =
  | { found: true; path: string; source: 'CHROMIUM_PATH' | 'system' | 'playwright' }
  | { found: false; reason: string };

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const INSTALL_HINT =
  'No Chromium found for the browser tests. Install one:\n' +
  '  apt-get update && apt-get install -y chromium\n' +
  'or point CHROMIUM_PATH at a Chromium/Chrome binary:\n' +
  '  CHROMIUM_PATH=/path/to/chrome npm run test:e2e';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Playwright's own Chromium, if `npx playwright install chromium` was ever run. */
function playwrightChromium(): string | undefined {
  try {
    // Synchronous so playwright.config.ts can call findChromium at load time.
    const { chromium } = createRequire(import.meta.url)('playwright-core') as typeof import('playwright-core');
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves the Chromium to drive; never throws. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const configured = env.CHROMIUM_PATH;
  if (configured) {
    return isExecutable(configured)
      ? { found: true, path: configured, source: 'CHROMIUM_PATH' }
      : { found: false, reason: `CHROMIUM_PATH=${configured} is not an executable file.\n${INSTALL_HINT}` };
  }
  for (const path of SYSTEM_PATHS) {
    if (isExecutable(path)) return { found: true, path, source: 'system' };
  }
  const bundled = playwrightChromium();
  if (bundled) return { found: true, path: bundled, source: 'playwright' };
  return { found: false, reason: INSTALL_HINT };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lookup = findChromium();
  if (lookup.found) {
    console.log(lookup.path);
  } else {
    console.error(lookup.reason);
    process.exit(1);
  }
}
