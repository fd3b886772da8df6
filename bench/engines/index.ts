// The engines of the comparison bench, by name (run.ts and the memory probe).
import type { Engine } from './engine.js';
import { unpackLog } from './huskies.js';
import { Document } from '../../src/core/index.js';

/** huskies as an Engine for the memory probe: load = replay of the packed op log (ids recomputed). */
const huskiesLoader: Engine = {
  name: 'huskies',
  run: () => { throw new Error('huskies runs through huskiesRun'); },
  load(encoded) {
    const doc = new Document();
    doc.replay(unpackLog(encoded));
    return doc;
  },
};

/** Imports an engine lazily, so a probe loads one wasm module only. */
export async function loadEngine(name: string): Promise<Engine> {
  switch (name) {
    case 'huskies': return huskiesLoader;
    case 'Yjs': return (await import('./yjs.js')).yjs;
    case 'Automerge': return (await import('./automerge.js')).automerge;
    case 'Loro': return (await import('./loro.js')).loro;
    default: throw new Error(`unknown engine ${name}`);
  }
}

export const PEERS = ['Yjs', 'Automerge', 'Loro'] as const;
