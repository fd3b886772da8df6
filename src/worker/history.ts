// A story's history (REPL10): who changed what and when, read straight from
// the signed ops in insertion order. Nothing is stored for it; it is derived.
import type { Document, ObjId, Op, Value } from '../core/index.js';

export interface HistoryChange {
  /** The field written (`title`, `stage`…), or `criteria` / `dependsOn` for nested edits, or `purged`. */
  readonly field: string;
  readonly value?: Value;
}

export interface HistoryEntry {
  readonly opId: string;
  readonly author: string;
  /** The author's display name at the time of reading, if any. */
  readonly name: string | null;
  readonly lamport: number;
  /** The op's own `updatedAt`/`createdAt` (ms), when it wrote one. */
  readonly at: number | null;
  readonly changes: HistoryChange[];
}

const TIME_FIELDS = new Set(['updatedAt', 'createdAt', 'updatedBy', 'createdBy']);

/** The ops that touched a story (its map or anything nested in it), oldest first; `ops` defaults to the whole log (a caller may pass a superset of the story's ops, in log order). */
export function historyOf(doc: Document, storyElem: ObjId, names: Readonly<Record<string, string>>, ops: Iterable<Op> = doc.ops()): HistoryEntry[] {
  const containers = doc.state.containers;
  // The top-level field under the story that a container hangs from, or the story itself.
  const memo = new Map<ObjId, string | null>();
  const fieldUnder = (obj: ObjId): string | null => {
    if (obj === storyElem) return '';
    const known = memo.get(obj);
    if (known !== undefined) return known;
    let cur: ObjId | null = obj;
    let child: ObjId | null = null;
    let depth = 0;
    while (cur !== null && depth++ < 20) {
      if (cur === storyElem) break;
      child = cur;
      cur = containers.get(cur)?.parent ?? null;
    }
    let out: string | null = null;
    if (cur === storyElem && child !== null) {
      const story = containers.get(storyElem);
      if (story?.kind === 'map') for (const [k, r] of story.map.fields) if (`${r.stamp.op}:${r.stamp.index}` === child) out = k;
      out ??= 'nested';
    }
    memo.set(obj, out);
    return out;
  };
  const entries: HistoryEntry[] = [];
  for (const op of ops) {
    const changes: HistoryChange[] = [];
    let at: number | null = null;
    op.actions.forEach((a, i) => {
      if (a.type === 'ins' && `${op.id}:${i}` === storyElem) { changes.push({ field: 'created' }); return; }
      if (a.type === 'del' && a.elem === storyElem) { changes.push({ field: 'purged' }); return; }
      const f = fieldUnder(a.obj);
      if (f === null) return;
      if (f === '' && a.type === 'set') {
        if ((a.key === 'updatedAt' || a.key === 'createdAt') && typeof a.value === 'number') at = a.value;
        if (!TIME_FIELDS.has(a.key)) changes.push({ field: a.key, value: a.value });
      } else if (f !== '' && !changes.some((c) => c.field === f)) {
        changes.push({ field: f });
      }
    });
    if (changes.length === 0) continue;
    // The op that created the story reads as one line, not as every initial field.
    const created = changes.find((c) => c.field === 'created');
    const shown = created ? [{ field: 'created', value: changes.find((c) => c.field === 'title')?.value ?? null }] : changes;
    entries.push({ opId: op.id, author: op.author, name: names[op.author] ?? null, lamport: op.lamport, at, changes: shown });
  }
  return entries;
}
