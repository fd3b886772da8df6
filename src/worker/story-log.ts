// Which log positions touched which story (REPL10, REPL13), so that a story's
// history decodes just its own ops again. The Document keeps every applied
// op as metadata and signed bytes only (CORE17); this index is what history
// needs on top. Ops applied live are noted by the board index as it folds
// them (it already knows each action's story); ops the replica did not fold
// one by one — the log replayed at open, a restored prefix read back from the
// store — are indexed here from their decoded form, once.
import { ROOT, decodeOp, type Document, type DocState, type ObjId, type Op } from '../core/index.js';
import type { OpStore } from '../storage/op-store.js';

export class StoryLog {
  private readonly byStory = new Map<ObjId, number[]>();

  /** Notes that the op at log `position` touched `story` (repeats of the last note are skipped). */
  note(position: number, story: ObjId): void {
    let list = this.byStory.get(story);
    if (list === undefined) this.byStory.set(story, list = []);
    if (list[list.length - 1] !== position) list.push(position);
  }

  /** Notes the stories of decoded ops that sit at log positions `from`, `from + 1`, … */
  indexOps(ops: readonly Op[], from: number, state: DocState): void {
    const stories = new StoryOf(state);
    for (let i = 0; i < ops.length; i++) for (const elem of stories.touchedBy(ops[i]!)) this.note(from + i, elem);
  }

  /** The log positions of the ops that touched a story, ascending. */
  positions(storyElem: ObjId): number[] {
    const list = this.byStory.get(storyElem);
    if (list === undefined) return [];
    // Live notes come in order; a prefix indexed later lands behind them.
    const out = [...list].sort((a, b) => a - b);
    return out.filter((p, i) => i === 0 || out[i - 1] !== p);
  }

  /**
   * Reads the restored prefix's records (the first `doc.detachedOps`) in
   * chunks (each chunk an await, so commands run in between), checks them
   * against the Document's applied order, indexes their stories and attaches
   * their bytes to the Document. Returns the reason when the log does not
   * hold exactly the prefix the snapshot described (nothing is attached then).
   */
  async loadPrefix(store: OpStore, doc: Document, chunk = 2000): Promise<string | undefined> {
    const count = doc.detachedOps;
    const meta = doc.appliedMeta();
    const records: { id: string; bytes: Uint8Array }[] = [];
    const stories = new StoryOf(doc.state);
    const notes: [number, ObjId][] = [];
    while (records.length < count) {
      const batch = await store.loadFrom(records.length, Math.min(chunk, count - records.length));
      if (batch.length === 0) return `the log ended at ${records.length} of ${count} records`;
      for (const r of batch) {
        const i = records.length;
        if (i >= count) break;
        if (r.id !== meta[i]!.id) return `record ${i} is not the op the snapshot applied there`;
        const d = decodeOp(r.bytes, r.id);
        if (!d.ok) return `record ${i} does not decode: ${d.reason}`;
        records.push(r);
        for (const elem of stories.touchedBy(d.op)) notes.push([i, elem]);
      }
    }
    for (const [i, elem] of notes) this.note(i, elem);
    doc.attachPrefix(records);
    return undefined;
  }
}

/**
 * Which story an action's target belongs to: a story is a map element of a
 * list directly under the root (the board's stories list), and everything a
 * story holds hangs below it through `parent` links (bounded by the nesting cap).
 */
class StoryOf {
  private readonly memo = new Map<ObjId, ObjId | null>();
  constructor(private readonly state: DocState) {}

  private isRootList(id: ObjId): boolean {
    const c = this.state.containers.get(id);
    return c !== undefined && c.kind === 'list' && c.parent === ROOT;
  }

  of(obj: ObjId): ObjId | null {
    const known = this.memo.get(obj);
    if (known !== undefined) return known;
    let cur: ObjId | null = obj;
    let found: ObjId | null = null;
    for (let depth = 0; cur !== null && depth < 20; depth++) {
      const c = this.state.containers.get(cur);
      if (c === undefined) break;
      if (c.parent !== null && this.isRootList(c.parent)) { found = cur; break; }
      cur = c.parent;
    }
    this.memo.set(obj, found);
    return found;
  }

  touchedBy(op: Op): Set<ObjId> {
    const out = new Set<ObjId>();
    op.actions.forEach((a, i) => {
      if (a.type === 'ins' && this.isRootList(a.obj)) out.add(`${op.id}:${i}`);
      else if (a.type === 'del' && this.isRootList(a.obj)) out.add(a.elem);
      const s = this.of(a.obj);
      if (s !== null) out.add(s);
    });
    return out;
  }
}
