// The restored prefix of the op log, held as bytes (REPL13). After an open
// from a snapshot the Document knows the prefix's op metadata but holds none
// of its decoded ops: decoded, 100,000 board ops take ~700 MB of heap, their
// signed bytes ~50 MB. This reads the prefix's records from the store in the
// background, checks them against the Document's applied order, keeps their
// bytes (sync, export) and, from one pass of throwaway decoding, which prefix
// ops touched which story (history decodes just those again).
import { ROOT, decodeOp, type Document, type DocState, type ObjId, type Op } from '../core/index.js';
import type { OpStore } from '../storage/op-store.js';

export class PrefixLog {
  private constructor(
    /** Signed bytes of prefix record i (log position i). */
    readonly bytes: readonly Uint8Array[],
    private readonly position: ReadonlyMap<string, number>,
    private readonly byStory: ReadonlyMap<ObjId, readonly number[]>,
  ) {}

  /** Number of ops in the prefix. */
  get length(): number {
    return this.bytes.length;
  }

  /** The bytes of a prefix op, by id. */
  get(id: string): Uint8Array | undefined {
    const i = this.position.get(id);
    return i === undefined ? undefined : this.bytes[i];
  }

  /** The prefix ops that touched a story (its map, anything nested in it, its insert or delete), decoded, in log order. */
  opsOfStory(storyElem: ObjId): Op[] {
    const out: Op[] = [];
    for (const i of this.byStory.get(storyElem) ?? []) {
      const d = decodeOp(this.bytes[i]!);
      if (d.ok) out.push(d.op);
    }
    return out;
  }

  /**
   * Reads the first `doc.detachedOps` records in chunks (each chunk an await,
   * so commands run in between); returns the reason when the log does not
   * hold exactly the prefix the snapshot described.
   */
  static async load(store: OpStore, doc: Document, chunk = 2000): Promise<PrefixLog | string> {
    const count = doc.detachedOps;
    const ids: string[] = [];
    for (const m of doc.appliedMeta()) { if (ids.length === count) break; ids.push(m.id); }
    const bytes: Uint8Array[] = [];
    const position = new Map<string, number>();
    const byStory = new Map<ObjId, number[]>();
    const stories = new StoryOf(doc.state);
    while (bytes.length < count) {
      const records = await store.loadFrom(bytes.length, Math.min(chunk, count - bytes.length));
      if (records.length === 0) return `the log ended at ${bytes.length} of ${count} records`;
      for (const r of records) {
        const i = bytes.length;
        if (r.id !== ids[i]) return `record ${i} is not the op the snapshot applied there`;
        const d = decodeOp(r.bytes, r.id);
        if (!d.ok) return `record ${i} does not decode: ${d.reason}`;
        bytes.push(r.bytes);
        position.set(ids[i]!, i);
        for (const elem of stories.touchedBy(d.op)) {
          let list = byStory.get(elem);
          if (list === undefined) byStory.set(elem, list = []);
          list.push(i);
        }
      }
    }
    return new PrefixLog(bytes, position, byStory);
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
