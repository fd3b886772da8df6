// CPU time of a browser's processes, from /proc (Linux): the browser benches'
// breakdown of a run by Chromium process type.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ms per process of the tree under `root`, labelled by Chromium process type (for the breakdown); `root` itself as `rootLabel`. */
export function treeCpuByProcess(root: number, rootLabel = 'node (bench, vite, relay)'): Map<number, { label: string; cpu: number }> {
  const all = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      all.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * 10 }); // ticks of 10 ms (USER_HZ 100)
    } catch { /* gone */ }
  }
  const out = new Map<number, { label: string; cpu: number }>();
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone */ }
    const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? (pid === root ? rootLabel : cmd.includes('chrom') ? 'browser' : 'other');
    const sub = /--utility-sub-type=([a-zA-Z.]+)/.exec(cmd)?.[1];
    out.set(pid, { label: sub ? `${type}:${sub}` : type, cpu: all.get(pid)?.cpu ?? 0 });
    for (const [child, s] of all) if (s.ppid === pid) todo.push(child);
  }
  return out;
}

/**
 * CPU time (ms, user + system) of a process and all its descendants: the
 * browser's whole tree (pages, workers, network and storage services).
 * Steadier than wall time on a shared machine.
 */
export function treeCpuMs(root: number): number {
  let total = 0;
  for (const p of treeCpuByProcess(root).values()) total += p.cpu;
  return total;
}
