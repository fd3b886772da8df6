// A SyncHost over a bare core Document, for the sync tests and simulation.
// Remote ops go through `doc.ingest` with the synchronous noble verifier
// (optionally memoised across replicas: verification is a pure function of
// its input, so sharing answers between simulated replicas changes nothing
// but the run time). Local edits go through `doc.change`.
import {
  Document, nobleVerifyBatch, toHex,
  type KeyPair, type LocalAction, type Op, type VerifyBatch, type VerifyItem,
} from '../../src/core/index.js';
import type { SyncHost } from '../../src/sync/sync-host.js';
import { Listeners } from '../../src/sync/transport.js';

/** A noble verifier that remembers its answers (shared by the replicas of one simulation). */
export function memoVerifier(): VerifyBatch {
  const cache = new Map<string, boolean>();
  const key = (it: VerifyItem) => toHex(it.publicKey) + toHex(it.message) + toHex(it.signature);
  return (items) => {
    const out: boolean[] = new Array<boolean>(items.length);
    const todo: number[] = [];
    items.forEach((it, i) => { const c = cache.get(key(it)); if (c === undefined) todo.push(i); else out[i] = c; });
    const answers = nobleVerifyBatch(todo.map((i) => items[i]!));
    todo.forEach((i, j) => { out[i] = answers[j]!; cache.set(key(items[i]!), answers[j]!); });
    return out;
  };
}

export class DocumentHost implements SyncHost {
  readonly doc = new Document();
  private readonly listeners = new Listeners<[{ id: string; bytes: Uint8Array }[], string]>();
  /** Ops rejected on receive, with reasons (Byzantine tests look at these). */
  readonly rejections: { reason: string }[] = [];

  constructor(readonly replicaId: string, readonly keys: KeyPair, private readonly verify: VerifyBatch = nobleVerifyBatch) {}

  versionVector(): Record<string, number> { return this.doc.versionVector(); }
  heads(): string[] { return this.doc.heads(); }
  has(id: string): boolean { return this.doc.has(id); }

  opsFor(vv: Record<string, number>): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const op of this.doc.log()) if (op.seq > (vv[op.author] ?? 0)) out.push(op.bytes);
    return out;
  }

  getOps(ids: readonly string[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const id of ids) { const bytes = this.doc.bytesOf(id); if (bytes) out.push(bytes); }
    return out;
  }

  async receive(frames: Uint8Array[], fromPeer: string): Promise<{ missing: string[] }> {
    const res = this.doc.ingest(frames, this.verify);
    for (const o of res.outcomes) if (o.status === 'rejected') this.rejections.push({ reason: o.reason ?? '?' });
    if (res.applied.length > 0) this.listeners.emit(res.applied.map((op) => ({ id: op.id, bytes: op.bytes })), fromPeer);
    return { missing: this.doc.missingDependencies() };
  }

  onApplied(listener: (ops: { id: string; bytes: Uint8Array }[], origin: string) => void): () => void {
    return this.listeners.add(listener);
  }

  /** A local edit: sign, apply, announce with origin 'local'. */
  change(actions: readonly LocalAction[], keys: KeyPair = this.keys): Op {
    const op = this.doc.change(keys, actions);
    this.listeners.emit([{ id: op.id, bytes: op.bytes }], 'local');
    return op;
  }

  /** Every applied op id, sorted (to compare replicas). */
  opIds(): string[] {
    return this.doc.log().map((o) => o.id).sort();
  }
}
