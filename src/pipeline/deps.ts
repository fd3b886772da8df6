// Dependency statuses (PIPE17) and cycle detection. A dependency is met when
// it is done or archived as completed; archived as abandoned/superseded is
// NOT met and carries its reason; unknown, purged and cyclic dependencies are
// shown as such. Cycles are strongly connected components (iterative Tarjan:
// no recursion a long hostile chain could deepen).
import type { StoryFields } from './story-read.js';
import type { DepView } from './view.js';

/**
 * story id → representative (smallest id) of its cycle, for stories on a
 * cycle of two or more; `succ` returns undefined for ids that are not live
 * stories (edges to them cannot close a cycle).
 */
export function cycleComponents(ids: Iterable<string>, succ: (id: string) => readonly string[] | undefined): Map<string, string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result = new Map<string, string>();
  let counter = 0;
  for (const root of ids) {
    // A story with no dependencies is in no cycle (most stories): no walk from it.
    if (index.has(root) || (succ(root)?.length ?? 0) === 0) continue;
    const work: { v: string; next: readonly string[]; i: number }[] = [];
    const push = (v: string) => {
      index.set(v, counter); low.set(v, counter); counter++;
      stack.push(v); onStack.add(v);
      work.push({ v, next: succ(v) ?? [], i: 0 });
    };
    push(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.i < top.next.length) {
        const w = top.next[top.i++]!;
        // Nor is one that depends on nothing: a sink cannot lower anyone's link.
        if ((succ(w)?.length ?? 0) === 0) continue;
        if (!index.has(w)) push(w);
        else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let x: string;
        do { x = stack.pop()!; onStack.delete(x); comp.push(x); } while (x !== top.v);
        if (comp.length > 1) {
          let rep = comp[0]!;
          for (const c of comp) if (c < rep) rep = c;
          for (const c of comp) result.set(c, rep);
        }
      }
    }
  }
  return result;
}

/** The status of dependency `dep` of story `self` (PIPE17). Cycle wins over every other status. */
export function depView(
  self: string, dep: string, comp: ReadonlyMap<string, string>,
  live: (id: string) => StoryFields | undefined, purged: (id: string) => boolean,
): DepView {
  const d = live(dep);
  const title = d === undefined ? {} : { title: d.title };
  const c = comp.get(self);
  if (dep === self || (c !== undefined && c === comp.get(dep))) return { id: dep, status: 'cycle', ...title };
  if (d !== undefined) {
    if (d.stage === 'done' || (d.stage === 'archived' && d.archiveReason === 'completed')) return { id: dep, status: 'met', ...title };
    if (d.stage === 'archived') return { id: dep, status: 'archived-not-completed', ...title, reason: d.archiveReason ?? 'no reason given' };
    return { id: dep, status: 'waiting', ...title };
  }
  return { id: dep, status: purged(dep) ? 'purged' : 'unknown' };
}
