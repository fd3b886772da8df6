// The joiner's replica-thread work per received op, in Node (issues 5/6):
// decode with the ids known (the wire verifier hashed them), the core's checks
// and apply with the board schema, and the board index, batch by batch (200
// ops, about one 128 KiB catch-up message), on the catch-up bench's room
// (50,000 stories, 100,000 ops). What it leaves out: IndexedDB requests,
// seals, board patches to the page. Wall and process CPU per op, each run:
//   node --import tsx bench/joiner-apply.ts          # 3 runs
//   RUNS=1 node --cpu-prof --import tsx bench/joiner-apply.ts
import { Document, isSealFrame, sha256, toHex } from '../src/core/index.js';
import { BoardIndex, validateOpForBoard } from '../src/pipeline/index.js';
import { decodeLogFile } from '../src/protocol/log-file.js';
import { cachedBackup } from '../tests/e2e/perf/board-perf.js';

const parsed = decodeLogFile(await cachedBackup({ stories: 50_000, ops: 100_000 }));
if (!parsed.ok) throw new Error(parsed.reason);
const frames = parsed.ops.filter((f) => !isSealFrame(f));
const ids = frames.map((f) => toHex(sha256(f.subarray(0, f.length - 64))));
for (let run = 0; run < Number(process.env.RUNS ?? 3); run++) {
  const doc = new Document({ validate: validateOpForBoard });
  const index = new BoardIndex(doc);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < frames.length; i += 200) {
    const s = doc.beginIngest(frames.slice(i, i + 200), ids.slice(i, i + 200));
    s.resolveBy(() => true);
    index.update(s.finish().applied, 0);
  }
  const c = process.cpuUsage(c0);
  if (doc.opCount !== frames.length) throw new Error(`applied ${doc.opCount} of ${frames.length}`);
  console.log(`run ${run + 1}: ${((performance.now() - t0) * 1000 / frames.length).toFixed(1)} µs/op wall, ${((c.user + c.system) / frames.length).toFixed(1)} µs/op CPU`);
}
