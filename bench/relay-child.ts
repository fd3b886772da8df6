// Relay process for bench/relay-load.ts: runs the real relay in its own process
// so its memory is measured apart from the load generator. Speaks IPC:
// sends { port } when listening; answers 'stats' with { peakRss, stats }; exits on 'stop'.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attachRelay, type RelayLimits } from '../relay/relay';

const limits: Partial<RelayLimits> = JSON.parse(process.env.RELAY_LIMITS ?? '{}');
const server = createServer((_req, res) => res.end('huskies relay\n'));
const relay = attachRelay(server, { limits });

let peakRss = process.memoryUsage().rss;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const sampler = setInterval(sample, 10);

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});

process.on('message', async (message) => {
  if (message === 'stats') {
    sample();
    process.send?.({ peakRss, stats: relay.stats() });
  } else if (message === 'stop') {
    clearInterval(sampler);
    await relay.close();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
