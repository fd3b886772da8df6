// Shared browser settings for the Playwright suites: which Chromium, its
// flags, and where the app under test listens (docs/SPEC.md APP11, APP12).
// Used by playwright.config.ts and by tests that launch their own persistent
// profile (launchPersistentContext), so both drive the same browser the same way.
import type { LaunchOptions } from '@playwright/test';
import { findChromium } from '../../../scripts/find-chromium';

/** Port of the server the suite starts (`node scripts/start.js`); E2E_PORT overrides. */
export const E2E_PORT = Number.parseInt(process.env.E2E_PORT ?? '8797', 10);
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;

/**
 * Flags for deterministic runs on a small headless machine: no GPU, no QUIC,
 * real local ICE candidates for WebRTC between profiles (no mDNS obfuscation),
 * and no background traffic to Google services (APP12).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--disable-gpu',
  '--disable-quic',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Chromium refuses its sandbox as root (CI here runs as root).
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

/** Launch options for Chromium; throws the install hint when there is none (APP11). */
export function chromiumLaunchOptions(): LaunchOptions {
  const lookup = findChromium();
  if (!lookup.found) throw new Error(lookup.reason);
  return { executablePath: lookup.path, args: [...CHROMIUM_ARGS] };
}
