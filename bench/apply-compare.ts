// Local apply only, huskies (unsigned) against Yjs, interleaved run by run so
// both see the same machine load; rates are per CPU second of this process
// (steadier than wall time on a shared machine) and per wall second. Prints
// medians and the median ratio. For before/after work on the core's apply path:
//   node --expose-gc --import tsx bench/apply-compare.ts [rounds] [table]
import { boardInit, buildReplicas } from './engines/huskies.js';
import { build as buildYjs } from './engines/yjs.js';
import { QUICK, editCount } from './workload.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rounds = Number(process.argv[2] ?? 7);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const init = boardInit();
/** The quick workload, or the table's 2,000 / 10,000 / 200 with a second argument `table`. */
const SIZE = process.argv[3] === 'table' ? { stories: 2_000, updates: 10_000, purges: 200 } : QUICK;
const edits = editCount(SIZE);

async function cpuRate(fn: () => unknown): Promise<{ cpu: number; wall: number }> {
  gc();
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const u = process.cpuUsage(c);
  return { cpu: edits / ((u.user + u.system) / 1e6), wall: edits / (wall / 1000) };
}

await buildReplicas({ stories: 300, updates: 1_500, purges: 30 }, 'unsigned', init);
buildYjs({ stories: 300, updates: 1_500, purges: 30 });
const h: number[] = [], y: number[] = [], ratio: number[] = [], wallRatio: number[] = [];
for (let i = 0; i < rounds; i++) {
  const hr = await cpuRate(() => buildReplicas(SIZE, 'unsigned', init));
  const yr = await cpuRate(() => buildYjs(SIZE));
  h.push(hr.cpu); y.push(yr.cpu); ratio.push(hr.cpu / yr.cpu); wallRatio.push(hr.wall / yr.wall);
}
console.log(JSON.stringify({
  huskiesPerCpuSec: Math.round(median(h)), yjsPerCpuSec: Math.round(median(y)),
  ratioCpu: Number(median(ratio).toFixed(2)), ratioWall: Number(median(wallRatio).toFixed(2)),
}));
