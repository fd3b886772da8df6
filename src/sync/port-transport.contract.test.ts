// PortTransport runs the Transport contract (STYLE 3) over a real
// MessageChannel, bridged to a MemoryTransport pair, as the page does with WebRTC.
import { describe, test } from 'vitest';
import { createMemoryPair } from './memory-transport.js';
import { PortTransport, bridgeTransport, type PortLike } from './port-transport.js';
import { transportContract } from './transport-contract.js';
import type { Transport } from './transport.js';

function bridged(): Promise<[Transport, Transport]> {
  const [near, far] = createMemoryPair('worker-side', 'remote');
  const channel = new MessageChannel();
  bridgeTransport(near, channel.port1 as unknown as PortLike);
  const port = new PortTransport('remote', channel.port2 as unknown as PortLike);
  return Promise.resolve([port, far]);
}

describe('PortTransport over a MessageChannel bridged to a MemoryTransport', () => {
  for (const c of transportContract) test(`[${c.rule}] ${c.name} (port)`, () => c.run(bridged));
});
