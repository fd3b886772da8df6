// Runs the Transport contract (TRANSPORT1–7) in a worker over ChannelTransports
// whose data channels the page transferred here at creation (RTC25): the
// replica worker's side of a WebRTC connection, on real channels.
import { serveChannel } from '../../../src/sync/frames-link';
import type { ChannelTransport } from '../../../src/sync/channel-transport';
import { runTransportContract } from '../../../src/sync/transport-contract';
import type { Transport } from '../../../src/sync/transport';

const halves = new Map<string, ChannelTransport>();
const waiting: ((pair: [Transport, Transport]) => void)[] = [];

function opened(t: ChannelTransport): Promise<void> {
  return new Promise((resolve) => t.onOpen(resolve));
}

self.onmessage = (event: MessageEvent) => {
  const m = event.data as { t: string; side?: 'a' | 'b'; port?: MessagePort; channel?: unknown };
  if (m.t === 'half') {
    // Served in the task that receives the channel, as the replica worker does.
    const t = serveChannel(m.side === 'a' ? 'pair-b' : 'pair-a', m.port as never, m.channel);
    if (!t) { postMessage({ t: 'error', error: 'not a data channel' }); return; }
    halves.set(m.side!, t);
    if (halves.size === 2) {
      const a = halves.get('a')!;
      const b = halves.get('b')!;
      halves.clear();
      void Promise.all([opened(a), opened(b)]).then(() => waiting.shift()?.([a, b]));
    }
  } else if (m.t === 'run') void run();
};

async function run(): Promise<void> {
  const makePair = () => new Promise<[Transport, Transport]>((resolve) => { waiting.push(resolve); postMessage({ t: 'need-pair' }); });
  postMessage({ t: 'results', results: await runTransportContract(makePair) });
}
