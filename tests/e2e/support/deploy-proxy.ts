// A loopback HTTP proxy in front of the app server that can pretend a new
// version was deployed: after `deploy()`, /sw.js comes back byte-different, as
// it would after a real rebuild. Used to test the update prompt (APP5) without
// rebuilding dist/; browser-initiated service-worker update fetches bypass
// Playwright's request routing, so a real server has to change its answer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeployProxy {
  /** Origin of the proxy, e.g. http://127.0.0.1:41234. */
  readonly origin: string;
  /** From now on /sw.js carries a new trailing comment, like a new build. */
  deploy(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Starts a proxy to `upstream` (an origin) on an ephemeral loopback port. */
export async function startDeployProxy(upstream: string): Promise<DeployProxy> {
  let version = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        const upstreamResponse = await fetch(new URL(request.url ?? '/', upstream), {
          method: request.method,
          headers: { accept: request.headers.accept ?? '*/*' },
        });
        let body = Buffer.from(await upstreamResponse.arrayBuffer());
        if (request.url?.split('?')[0] === '/sw.js' && version > 0) {
          body = Buffer.concat([body, Buffer.from(`\n// deploy ${version}\n`)]);
        }
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'cache-control']) {
          const value = upstreamResponse.headers.get(name);
          if (value) headers[name] = value;
        }
        response.writeHead(upstreamResponse.status, { ...headers, 'content-length': String(body.length) });
        response.end(body);
      } catch (error) {
        response.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    deploy: () => {
      version += 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
