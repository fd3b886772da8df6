// Playwright config for the WebRTC specs only (tests/e2e/webrtc/*.e2e.ts).
// Each spec starts its own Vite dev server and relay, so there is no webServer
// here and the specs can also be included by the main config via testMatch.
import { defineConfig } from '@playwright/test';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  // Host candidates as real IPs, so two contexts connect on loopback without mDNS.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: '.',
  testMatch: '*.e2e.ts',
  workers: 1,
  timeout: 90_000,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
  },
});
