// A short, focused run of the huskies core paths on the quick board workload
// (unsigned local apply, replay merge, load), medians of 5, for before/after
// comparisons of core optimisations and for profiling. Also reports the whole
// run's process CPU time, steadier than wall time on a shared machine:
//   node --cpu-prof --import tsx bench/core-profile.ts
import { boardInit, buildReplicas, loadLog, mergeReplay, storedLog } from './engines/huskies.js';
import { QUICK, editCount } from './workload.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const cpu0 = process.cpuUsage();
const init = boardInit();
const apply: number[] = [];
const merge: number[] = [];
const load: number[] = [];
await buildReplicas({ stories: 300, updates: 1_500, purges: 30 }, 'unsigned', init);
for (let i = 0; i < 5; i++) {
  const r = await buildReplicas(QUICK, 'unsigned', init);
  apply.push(editCount(QUICK) / (r.applyMs / 1000));
  merge.push(mergeReplay(r));
  const stored = storedLog(r.docs[0]!);
  const t = performance.now();
  loadLog(stored);
  load.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ applyUnsignedEditsPerSec: Math.round(median(apply)), mergeReplayMs: Math.round(median(merge)), loadMs: Math.round(median(load)), cpuMs: Math.round((cpu.user + cpu.system) / 1000) }));
