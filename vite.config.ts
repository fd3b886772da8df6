// Build of the browser app: Svelte 5, the replica's module worker, and a
// workbox service worker that precaches the app shell so the app opens offline
// (docs/SPEC.md APP3–APP6). The service worker never touches board data.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  plugins: [
    svelte(),
    VitePWA({
      // APP5: an update waits for the user's "reload", it never swaps code under them.
      registerType: 'prompt',
      // The app calls registerSW from 'virtual:pwa-register' itself (App.svelte).
      injectRegister: false,
      strategies: 'generateSW',
      // globPatterns below already take the icons; listing them twice only duplicates entries.
      includeManifestIcons: false,
      manifest: {
        id: '/',
        name: 'huskies',
        short_name: 'huskies',
        description: 'A local-first story pipeline board that syncs browser to browser.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#1e3a8a',
        background_color: '#0f172a',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // APP3: the whole shell, worker chunks and wasm included, is precached.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest,wasm}'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        // APP4: the first install has no predecessor, so it activates at once;
        // clientsClaim makes it control the page that installed it, so an
        // offline reload right after the first visit still opens the shell.
        // skipWaiting stays off so later updates wait for the prompt (APP5).
        clientsClaim: true,
        skipWaiting: false,
        cleanupOutdatedCaches: true,
        navigateFallback: 'index.html',
        // The relay is a WebSocket endpoint, never an app route.
        navigateFallbackDenylist: [/^\/relay/],
        // APP6: nothing but the precached shell; board data lives in IndexedDB.
        runtimeCaching: [],
      },
      devOptions: { enabled: false },
    }),
  ],
  // The replica runs in a module worker (new Worker(url, { type: 'module' })).
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: false },
});
