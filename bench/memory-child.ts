// Memory probe, one process per engine so earlier runs leave nothing behind:
// loads one encoding and reports what it costs to hold the loaded document.
// JS heap (heapUsed), off-heap buffers (external: Uint8Arrays — huskies keeps
// its op bytes there) and RSS (the only figure that sees wasm linear memory,
// where Automerge and Loro keep their documents).
// Usage (run.ts does this): node --expose-gc --import tsx bench/memory-child.ts <engine> <file>
import { readFileSync } from 'node:fs';
import { loadEngine } from './engines/index.js';

const [engineName, file] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory-child needs --expose-gc');
const engine = await loadEngine(engineName!);
const encoded = new Uint8Array(readFileSync(file!));
const settle = () => { gc(); gc(); return process.memoryUsage(); };
const before = settle();
const t = performance.now();
const doc = engine.load(encoded);
const loadMs = performance.now() - t;
const after = settle();
const mb = (n: number) => n / 2 ** 20;
process.stdout.write(JSON.stringify({
  heapMb: mb(after.heapUsed - before.heapUsed),
  externalMb: mb(after.external - before.external),
  rssMb: mb(after.rss - before.rss),
  loadMs,
  alive: doc !== undefined,
}));
