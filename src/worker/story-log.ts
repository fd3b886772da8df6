// Which log positions touched which story (REPL10, REPL13), so that a story's
// history decodes just its own ops again. The Document keeps every applied
// op as metadata and signed bytes only (CORE17); this index is what history
// needs on top. Ops applied live are noted by the board index as it folds
// them (it already knows each action's story). Ops the replica did not fold
// one by one — the log replayed at open, a restored prefix read back from the
// store — are indexed from their bytes later: in small chunks once the
// replica is idle after its open, or at once by the first history call that
// comes before that. An open and the prefix's load do not pay for it.
import { actionObjId, decodeLogged, type Document, type DocState, type ObjId, type Op } from '../core/index.js';
import { isMake, locate, type Located } from '../pipeline/index.js';
import type { OpStore } from '../storage/op-store.js';

export class StoryLog {
  private readonly byStory = new Map<ObjId, number[]>();
  /** Log positions [from, to) not indexed yet (the log replayed at open, a restored prefix). */
  private readonly unindexed: [number, number][] = [];

  /** Notes that the op at log `position` touched `story` (repeats of the last note are skipped). */
  note(position: number, story: ObjId): void {
    let list = this.byStory.get(story);
    if (list === undefined) this.byStory.set(story, list = []);
    if (list[list.length - 1] !== position) list.push(position);
  }

  /** Log positions [from, to) hold ops that were not noted as they were applied: index them on the first read. */
  defer(from: number, to: number): void {
    if (to > from) this.unindexed.push([from, to]);
  }

  /** True while some log positions are not indexed yet. */
  get behind(): boolean {
    return this.unindexed.length > 0;
  }

  /** How many log positions are not indexed yet. */
  get pending(): number {
    let n = 0;
    for (const [from, to] of this.unindexed) n += to - from;
    return n;
  }

  /**
   * Indexes up to `limit` of the positions not indexed yet (the whole log
   * must be attached): one chunk of background work, or everything.
   */
  indexSome(doc: Document, limit = Infinity): void {
    const log = doc.log();
    const stories = new StoryOf(doc.state);
    let budget = limit;
    while (budget > 0 && this.unindexed.length > 0) {
      const range = this.unindexed[0]!;
      const to = Math.min(range[1], range[0] + budget);
      for (let i = range[0]; i < to; i++) for (const elem of stories.touchedBy(decodeLogged(log[i]!))) this.note(i, elem);
      budget -= to - range[0];
      if (to === range[1]) this.unindexed.shift(); else range[0] = to;
    }
  }

  /** The log positions of the ops that touched a story, ascending (the whole log must be attached). */
  positions(storyElem: ObjId, doc: Document): number[] {
    if (this.behind) this.indexSome(doc);
    const list = this.byStory.get(storyElem);
    if (list === undefined) return [];
    // Live notes come in order; a prefix indexed later lands behind them.
    const out = [...list].sort((a, b) => a - b);
    return out.filter((p, i) => i === 0 || out[i - 1] !== p);
  }

  /**
   * Reads the restored prefix's records (the first `doc.detachedOps`) in
   * chunks (each chunk an await, so commands run in between), checks them
   * against the Document's applied order and attaches their bytes to the
   * Document; their stories are indexed on the first history call. Returns
   * the reason when the log does not hold exactly the prefix the snapshot
   * described (nothing is attached then). The records are this replica's own
   * store, trusted as replay trusts it (CORE14): they are not decoded here.
   */
  async loadPrefix(store: OpStore, doc: Document, chunk = 2000): Promise<string | undefined> {
    const count = doc.detachedOps;
    const meta = doc.appliedMeta();
    const records: { id: string; bytes: Uint8Array }[] = [];
    while (records.length < count) {
      const batch = await store.loadFrom(records.length, Math.min(chunk, count - records.length));
      if (batch.length === 0) return `the log ended at ${records.length} of ${count} records`;
      for (const r of batch) {
        const i = records.length;
        if (i >= count) break;
        if (r.id !== meta[i]!.id) return `record ${i} is not the op the snapshot applied there`;
        records.push(r);
      }
    }
    doc.attachPrefix(records);
    this.defer(0, count);
    return undefined;
  }
}

/**
 * The stories an op touched, by the board's own layout rule (`locate`, as the
 * board index folds live ops): an element inserted into or deleted from a
 * stories list, and the story holding each other action's target.
 */
class StoryOf {
  private readonly memo = new Map<ObjId, Located | null>();
  constructor(private readonly state: DocState) {}

  private located(obj: ObjId): Located | null {
    let l = this.memo.get(obj);
    if (l === undefined) this.memo.set(obj, l = locate(this.state, obj) ?? null);
    return l;
  }

  touchedBy(op: Op): Set<ObjId> {
    const out = new Set<ObjId>();
    for (let i = 0; i < op.actions.length; i++) {
      const a = op.actions[i]!;
      const l = this.located(a.obj);
      if (a.type !== 'set' && l?.role === 'stories') {
        if (a.type === 'del') out.add(a.elem);
        else if (isMake(a.value) && a.value.make === 'map') out.add(actionObjId(op.id, i));
      } else if (l?.story !== undefined) out.add(l.story);
    }
    return out;
  }
}
