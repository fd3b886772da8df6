// Standalone relay process: `node --import tsx relay/main.ts` (npm run relay).
// PORT (default 8787) and HOST (default all interfaces) come from the environment.
import { createServer } from 'node:http';
import { attachRelay } from './relay';

const port = Number.parseInt(process.env.PORT ?? '8787', 10);
const host = process.env.HOST;
const path = '/relay';

const server = createServer((request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url?.startsWith('/?'))) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('huskies relay\n');
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
});
const relay = attachRelay(server, { path });

server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  console.log(`huskies relay listening on ws://${host ?? 'localhost'}:${actualPort}${path}`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await relay.close();
  server.close(() => process.exit(0));
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
