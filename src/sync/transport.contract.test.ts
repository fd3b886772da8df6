// Runs the Transport contract suite (STYLE rule 3) against MemoryTransport
// (auto delivery) and BroadcastTransport over real Node BroadcastChannels.
import { afterEach, describe, test } from 'vitest';
import { BroadcastHub, type BroadcastTransport, type HubScheduler } from './broadcast-transport';
import { createMemoryPair } from './memory-transport';
import { transportContract, type MakePair } from './transport-contract';

const noTimers: HubScheduler = { every: () => () => {} };
const hubs: BroadcastHub[] = [];
let room = 0;

afterEach(() => { for (const h of hubs.splice(0)) h.close(); });

const broadcastPair: MakePair = async () => {
  const roomId = `contract-${process.pid}-${room++}`;
  const a = new BroadcastHub({ roomId, replicaId: 'tab-a', scheduler: noTimers });
  const b = new BroadcastHub({ roomId, replicaId: 'tab-b', scheduler: noTimers });
  hubs.push(a, b);
  const linked = (hub: BroadcastHub) => new Promise<BroadcastTransport>((resolve) => { hub.onPeer(resolve); });
  const ta = linked(a);
  const tb = linked(b);
  a.start();
  b.start();
  return [await ta, await tb];
};

const adapters: ReadonlyArray<[string, MakePair]> = [
  ['memory', async () => createMemoryPair('peer-a', 'peer-b')],
  ['broadcast', broadcastPair],
];

for (const [adapter, makePair] of adapters) {
  describe(`Transport contract: ${adapter}`, () => {
    for (const c of transportContract) test(`[${c.rule}] ${c.name} (${adapter})`, () => c.run(makePair));
  });
}
