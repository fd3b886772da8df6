// `npm start`: one Node HTTP server for the whole app — the built PWA from
// dist/ and the signalling relay's WebSocket endpoint at /relay
// (docs/SPEC.md APP8–APP10). Builds first when dist/ is missing or older
// than its sources. `--dev` serves Vite's dev middleware (HMR) instead of dist/.
// PORT (default 8787) and HOST (default 127.0.0.1) come from the environment.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { attachRelay } from '../relay/relay';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(root, 'dist');
/** What a build reads; a change to any of these makes dist/ stale (APP8). */
const BUILD_INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'svelte.config.js'];

/** Newest mtime (ms) of a file or of any file under a folder; 0 when absent. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/index.html is missing or older than any build input. */
function distIsStale(): boolean {
  const built = join(distDir, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return BUILD_INPUTS.some((input) => newestMtime(join(root, input)) > builtAt);
}

async function buildIfStale(): Promise<void> {
  if (!distIsStale()) return;
  console.log('huskies: building the app (dist/ is missing or older than its sources)…');
  const { build } = await import('vite');
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

/** Cache policy (APP9): hashed assets forever, everything else revalidated. */
function setCacheHeaders(response: ServerResponse, pathname: string): void {
  const hashed = pathname.startsWith('/assets/') || /^\/workbox-[\w-]+\.js$/.test(pathname);
  response.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  if (pathname === '/sw.js') response.setHeader('Service-Worker-Allowed', '/');
}

function notFound(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  response.end('not found\n');
}

async function staticHandler(): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
  await buildIfStale();
  // single: unknown extension-less paths get index.html (SPA fallback).
  const serve = sirv(distDir, { single: true, etag: true, setHeaders: setCacheHeaders });
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    serve(request, response, () => notFound(request, response));
  };
}

/** Vite's dev middleware on our server, so /relay works in development too (RELAY12). */
async function devHandler(server: Server): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
  const { createServer: createViteServer } = await import('vite');
  const vite = await createViteServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    appType: 'spa',
    server: { middlewareMode: true, hmr: { server } },
  });
  return (request, response) => vite.middlewares(request, response, () => notFound(request, response));
}

async function main(): Promise<void> {
  const dev = process.argv.includes('--dev');
  const port = Number.parseInt(process.env.PORT ?? '8787', 10);
  const host = process.env.HOST ?? '127.0.0.1';
  let handle: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server = createServer((request, response) => {
    if (handle) handle(request, response);
    else response.writeHead(503, { 'retry-after': '1' }).end();
  });
  handle = dev ? await devHandler(server) : await staticHandler();
  const relay = attachRelay(server, { path: '/relay' });

  server.on('error', (error) => {
    console.error(`huskies: cannot listen on ${host}:${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    console.log(`huskies ${dev ? '(dev) ' : ''}running at http://${shown}:${port}/  (relay: ws://${shown}:${port}/relay)`);
  });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await relay.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

await main();
