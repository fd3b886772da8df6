// The Document: the CRDT replica's core, pure and synchronous (DESIGN §2).
// It owns the applied op log (insertion order), the state, the Lamport clock,
// the heads and the dependency buffer. Local edits take one path — prepare →
// sign → commit — and remote ops another that ends in the same apply:
// decode → authenticate → buffer until dependencies arrive → check → apply.
// Nothing here throws on hostile input; results carry reasons (CORE7).
import { BatchAuthenticator } from './authenticate.js';
import { DependencyBuffer, type BufferLimits } from './buffer.js';
import { toHex } from './bytes.js';
import { decodeOp, encodeUnsigned, fillSignature } from './codec.js';
import { sha256 } from './hash.js';
import { InvariantError, assert } from './assert.js';
import { PrefixIds, scanPrefix } from './prefix-ids.js';
import {
  LIMITS, actionObjId, isObjIdForm,
  type Action, type AuthorId, type LocalAction, type LocalRef, type ObjId, type Op, type OpHeader, type OpId,
} from './op.js';
import { nobleVerifyBatch, signBytes, type KeyPair, type VerifyBatch, type VerifyItem } from './sign.js';
import { DocState, type Json, type PendingCreations } from './state.js';

/** How far one op's Lamport may run ahead of its dependencies (CORE5): bounds a clock-exhaustion attack. */
export const MAX_LAMPORT_JUMP = 2 ** 20;

export type OutcomeStatus = 'applied' | 'duplicate' | 'buffered' | 'rejected';

/** What became of one received op. */
export interface Outcome {
  readonly status: OutcomeStatus;
  readonly id?: OpId;
  readonly reason?: string;
}

export interface IngestResult {
  /** One outcome per input, in input order. */
  readonly outcomes: Outcome[];
  /** Every op applied during the call, in apply order (inputs and ops released from the buffer). */
  readonly applied: Op[];
  /** Buffered ops that were released and then failed their checks. */
  readonly lateRejections: { id: OpId; reason: string }[];
}

/** A local op hashed and ready to sign: sign `id` bytes, then `commit`. */
export interface PreparedOp {
  readonly header: OpHeader;
  readonly actions: readonly LocalAction[];
  readonly body: Uint8Array;
  readonly id: OpId;
  readonly idBytes: Uint8Array;
}

/** A prepared op of the pending chain; `chained` when it was prepared while an earlier op of its author was unsigned. */
interface PendingLocal { readonly prepared: PreparedOp; readonly draft: Op & { sig: Uint8Array }; readonly chained: boolean }

/**
 * What a chained prepare sees of the author's pending ops: what they will
 * create, and the ops they name as prev or deps (heads it need not name).
 */
interface ChainOverlay { readonly creations: PendingCreations; readonly named: Set<OpId> }

function addNamed(named: Set<OpId>, op: Op): void {
  if (op.prev !== null) named.add(op.prev);
  for (const d of op.deps) named.add(d);
}

/** The signature slot of a prepared op until it is signed. */
const UNSIGNED = new Uint8Array(64);

/**
 * Lookups by id in a restored prefix answered by a scan before its sorted
 * table is built (PrefixIds): a scan of 100,000 ids costs ~0.2–1 ms, the
 * table 15–60 ms, and an open's tail of a few ops needs ~10 lookups.
 */
const PREFIX_SCANS = 32;

/** Adds the op a reference names (if it names one) to `refs`. */
function addRef(refs: Set<OpId>, r: LocalRef): void {
  if (typeof r === 'string' && isObjIdForm(r)) refs.add(r.slice(0, 64));
}

/**
 * A local op's actions with its self references resolved to ids. An action
 * without one is already an `Action` and is kept as it is; each action id
 * the self references name is one string (a story's creation names its map
 * in most of its actions), as the decoder makes them (codec's NamedOps).
 */
function resolveActions(actions: readonly LocalAction[], id: OpId): Action[] {
  const selfIds: (ObjId | undefined)[] = [];
  const resolve = (r: LocalRef): ObjId => (typeof r === 'string' ? r : (selfIds[r.self] ??= actionObjId(id, r.self)));
  const out: Action[] = new Array<Action>(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    if (typeof a.obj === 'string' && (a.type === 'set' || typeof (a.type === 'ins' ? a.after : a.elem) === 'string')) {
      out[i] = a as Action;
      continue;
    }
    out[i] = a.type === 'set' ? { type: 'set', obj: resolve(a.obj), key: a.key, value: a.value }
      : a.type === 'ins' ? { type: 'ins', obj: resolve(a.obj), after: resolve(a.after), value: a.value }
        : { type: 'del', obj: resolve(a.obj), elem: resolve(a.elem) };
  }
  return out;
}

/** An applied op's header metadata: what duplicate detection and header checks need. */
export interface AppliedOpMeta { readonly id: OpId; readonly author: AuthorId; readonly seq: number; readonly lamport: number }

/**
 * An applied op as the log keeps it (CORE17): its header metadata and its
 * signed bytes. The decoded op is not kept: decoded, a board op's actions
 * take ~4 KB of heap, its bytes ~0.5 KB; whoever needs actions decodes again.
 */
export interface LoggedOp extends AppliedOpMeta { readonly bytes: Uint8Array }

/** A log entry: its bytes are missing only for a restored prefix not attached yet. */
interface Entry extends AppliedOpMeta { bytes: Uint8Array | undefined }

/** A restored prefix's op, before its bytes are attached (`restorePrefix` keeps the object). */
export interface PrefixEntry extends AppliedOpMeta { readonly bytes: undefined }

/** An author's chain tip: highest applied seq (first applied on a tie), its op, and the author's op count. */
export interface AuthorTip { readonly author: AuthorId; readonly seq: number; readonly id: OpId; readonly count: number }

/**
 * A domain rule run after the core's own checks, before an op is applied
 * (e.g. the board's schema). It must depend only on the op and its causal
 * past, so every replica decides the same; it returns a reason to reject.
 */
export type OpValidator = (doc: Document, op: Op) => string | undefined;

export interface DocumentOptions {
  readonly bufferLimits?: BufferLimits;
  readonly validate?: OpValidator;
}

export class Document {
  readonly state = new DocState();
  /** The applied ops in insertion order. */
  private readonly entries: Entry[] = [];
  /** Op id → position in `entries`, for the ops applied here (and the few prefix ops a scan found before `prefixIds` exists). */
  private readonly positions = new Map<OpId, number>();
  /** A restored prefix's ops: entries [0, prefixLength), found by a scan, then by `prefixIds` (built at the PREFIX_SCANS + 1st lookup). */
  private prefixLength = 0;
  private prefixIds: PrefixIds | undefined;
  /** The prefix ids' leading digits as numbers, read from a snapshot's bytes (PrefixIds); dropped once the table is built. */
  private prefixLeads: Float64Array | undefined;
  /** Lookups in the prefix answered by a scan so far (PREFIX_SCANS at most, then the table is built). */
  private prefixScans = 0;
  private readonly headSet = new Set<OpId>();
  private readonly lastByAuthor = new Map<AuthorId, { seq: number; id: OpId; count: number }>();
  /** Per author, prepared ops awaiting their signatures, oldest first (CORE13). */
  private readonly pendingLocal = new Map<AuthorId, PendingLocal[]>();
  /** Per author, what a chained prepare sees of its pending ops, built when a prepare first chains on them. */
  private readonly overlays = new Map<AuthorId, ChainOverlay>();
  private readonly buffer: DependencyBuffer;
  private clock = 0;
  private readonly validate: OpValidator | undefined;
  /**
   * Applied ops at the front of the log whose bytes are not held: a document
   * restored from a snapshot knows their metadata but gets their bytes later,
   * through `attachPrefix`.
   */
  private detached = 0;

  constructor(options: DocumentOptions = {}) {
    this.buffer = new DependencyBuffer(options.bufferLimits);
    this.validate = options.validate;
  }

  // ---- local edits: prepare → sign → commit (CORE13) ----

  /**
   * Builds and hashes the next op of `author` from actions. Throws on misuse
   * (bad values, unknown containers). While earlier ops of this author await
   * their signatures, the new op chains on the last of them (its prev), so
   * signing overlaps preparing; ops are committed in the order prepared.
   */
  prepare(author: AuthorId, actions: readonly LocalAction[]): PreparedOp {
    const queue = this.pendingLocal.get(author);
    const tail = queue?.[queue.length - 1];
    const chained = tail !== undefined;
    const last = this.lastByAuthor.get(author);
    const prev = tail ? tail.prepared.id : last ? last.id : null;
    const refs = new Set<OpId>();
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      addRef(refs, a.obj);
      if (a.type === 'ins') addRef(refs, a.after);
      else if (a.type === 'del') addRef(refs, a.elem);
    }
    const deps: OpId[] = [];
    for (const r of refs) if (r !== prev) deps.push(r);
    // Fill with the current heads, newest first, up to the cap: the op comes
    // after everything this replica has shown. A chained op leaves out the
    // heads its pending ops already name, as it would once they are applied.
    const overlay = chained ? this.overlayOf(author, queue!) : undefined;
    const covered = overlay?.named;
    if (deps.length < LIMITS.maxDeps) {
      const heads: OpId[] = [];
      for (const h of this.headSet) if (h !== prev && !refs.has(h) && !covered?.has(h)) heads.push(h);
      if (heads.length > 1) heads.sort((a, b) => this.entryOf(b)!.lamport - this.entryOf(a)!.lamport);
      for (const h of heads) { if (deps.length >= LIMITS.maxDeps) break; deps.push(h); }
    }
    let lamport: number;
    if (!chained) lamport = this.clock + 1;
    else {
      // After the last pending op and everything it names.
      lamport = tail.draft.lamport;
      for (const d of deps) lamport = Math.max(lamport, this.lamportOf(d, queue!) ?? Infinity);
      if (!Number.isFinite(lamport)) throw new InvariantError('local op is invalid: it names an op that is neither applied nor pending');
      lamport += 1;
    }
    if (deps.length > LIMITS.maxDeps) throw new RangeError('an op may reference at most 64 other ops');
    const seq = tail ? tail.draft.seq + 1 : last ? last.seq + 1 : 1;
    const header: OpHeader = { author, seq, lamport, prev, deps: deps.sort() };
    const { body, signed } = encodeUnsigned(header, actions);
    const idBytes = sha256(body);
    const id = toHex(idBytes);
    const prepared: PreparedOp = { header, actions, body, id, idBytes };
    const draft: Op & { sig: Uint8Array } = {
      author, seq: header.seq, lamport: header.lamport, prev, deps: header.deps, id,
      actions: resolveActions(actions, id), sig: UNSIGNED, bytes: signed,
      // Every reference names this op, its prev or a dep: the deps were made from the references.
      refsCausal: true,
    };
    // A chained op's header and domain rules are checked at commit, once the
    // ops it follows are applied; its actions are checked now, against what
    // the pending ops will create.
    const reason = overlay
      ? this.state.check(draft, overlay.creations)
      : this.checkHeader(draft) ?? this.state.check(draft) ?? this.validate?.(this, draft);
    if (reason !== undefined) throw new InvariantError(`local op is invalid: ${reason}`);
    if (overlay) addNamed(overlay.named, draft);
    const entry: PendingLocal = { prepared, draft, chained };
    if (queue) queue.push(entry);
    else this.pendingLocal.set(author, [entry]);
    return prepared;
  }

  /**
   * Applies the author's oldest pending op with its signature over `idBytes`;
   * returns the op to persist and send. An op prepared alone is not checked
   * again: validity depends only on the op and its causal past (CORE9), which
   * ops applied since cannot change. A chained op's header and domain rules
   * are checked now; if they fail, it and the ops chained after it are
   * dropped, nothing is applied, and this throws.
   */
  commit(prepared: PreparedOp, signature: Uint8Array): Op {
    const author = prepared.header.author;
    const queue = this.pendingLocal.get(author);
    assert(queue?.[0]?.prepared === prepared, 'commit of an op that is not the oldest pending one');
    const { draft, chained } = queue[0];
    if (chained) {
      const reason = this.checkHeader(draft) ?? this.validate?.(this, draft);
      if (reason !== undefined) {
        this.abandon(prepared);
        throw new InvariantError(`local op is invalid: ${reason}`);
      }
    }
    fillSignature(draft.bytes, signature);
    queue.shift();
    if (queue.length === 0) { this.pendingLocal.delete(author); this.overlays.delete(author); }
    // The draft becomes the op: nothing else holds it once it left the queue.
    draft.sig = signature;
    this.applyValid(draft);
    return draft;
  }

  /** Drops a prepared op that will not be signed (e.g. the signer failed), and the ops chained after it. */
  abandon(prepared: PreparedOp): void {
    const author = prepared.header.author;
    const queue = this.pendingLocal.get(author);
    const at = queue ? queue.findIndex((p) => p.prepared === prepared) : -1;
    if (at < 0) return;
    queue!.length = at;
    this.overlays.delete(author);
    if (at === 0) this.pendingLocal.delete(author);
  }

  /** Lamport of an op that is applied or pending in `queue`, or undefined. */
  private lamportOf(id: OpId, queue: readonly PendingLocal[]): number | undefined {
    const applied = this.entryOf(id);
    if (applied !== undefined) return applied.lamport;
    for (const p of queue) if (p.prepared.id === id) return p.draft.lamport;
    return undefined;
  }

  /** The author's chain overlay, built on the first chained prepare (or after an abandon), then extended by each. */
  private overlayOf(author: AuthorId, queue: readonly PendingLocal[]): ChainOverlay {
    let o = this.overlays.get(author);
    if (o === undefined) {
      o = { creations: { containers: new Map(), elems: new Map() }, named: new Set() };
      // Each pending op was valid when prepared; checking again records what it creates.
      for (const p of queue) {
        assert(this.state.check(p.draft, o.creations) === undefined, 'a pending op no longer checks');
        addNamed(o.named, p.draft);
      }
      this.overlays.set(author, o);
    }
    return o;
  }

  /** prepare + synchronous noble signature + commit, for tests, tools and the bench. */
  change(keys: KeyPair, actions: readonly LocalAction[]): Op {
    const p = this.prepare(toHex(keys.publicKey), actions);
    return this.commit(p, signBytes(keys.secretKey, p.idBytes));
  }

  // ---- remote ops (CORE7–CORE9) ----

  /**
   * Starts ingesting a batch of received ops. Drive `session.requests()` /
   * `session.resolve()` with any verifier (async is fine), then `finish()`.
   * `ids[i]`, when given, is SHA-256 of frame i's body as computed by this
   * replica's own code (e.g. a hashing verifier worker), never by a peer: it
   * saves hashing the body a second time.
   */
  beginIngest(frames: readonly unknown[], ids?: readonly (OpId | undefined)[]): IngestSession {
    return new IngestSession(this, frames, ids);
  }

  /** Ingests a batch synchronously with a synchronous verifier (noble by default). */
  ingest(frames: readonly unknown[], verify: VerifyBatch = nobleVerifyBatch): IngestResult {
    const session = this.beginIngest(frames);
    while (session.pending) session.resolve(verify(session.requests()));
    return session.finish();
  }

  /**
   * Replays ops read back from this replica's own store, in insertion order,
   * without verifying signatures again: only verified ops are ever stored (STORE, CORE14).
   */
  replay(frames: readonly (Uint8Array | { readonly id: OpId; readonly bytes: Uint8Array })[]): IngestResult {
    const outcomes: Outcome[] = [];
    const decoded: (Op | undefined)[] = [];
    for (const f of frames) {
      // A stored record carries its id: trusting it skips a hash per op on start-up.
      const d = f instanceof Uint8Array ? decodeOp(f) : decodeOp(f.bytes, f.id);
      if (d.ok) decoded.push(d.op); else { decoded.push(undefined); outcomes.push({ status: 'rejected', reason: d.reason }); }
    }
    return this.accept(decoded, outcomes, () => true);
  }

  /** @internal Applies authenticated ops; `outcomes` holds results for undefined (already failed) slots. */
  accept(ops: readonly (Op | undefined)[], failed: Outcome[], authentic: (index: number) => boolean): IngestResult {
    const outcomes: Outcome[] = [];
    const applied: Op[] = [];
    const lateRejections: { id: OpId; reason: string }[] = [];
    let f = 0;
    const seen = new Set<OpId>();
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index];
      if (op === undefined) { outcomes.push(failed[f++]!); continue; }
      if (this.isApplied(op.id) || this.buffer.has(op.id) || seen.has(op.id)) {
        outcomes.push({ status: 'duplicate', id: op.id });
        continue;
      }
      if (!authentic(index)) {
        outcomes.push({ status: 'rejected', id: op.id, reason: 'bad signature: it does not verify under the author key' });
        continue;
      }
      seen.add(op.id);
      const missing = (op.prev === null ? op.deps : [op.prev, ...op.deps]).filter((d) => !this.isApplied(d));
      if (missing.length > 0) {
        const full = this.buffer.add(op, missing);
        outcomes.push(full === undefined ? { status: 'buffered', id: op.id } : { status: 'rejected', id: op.id, reason: full });
        continue;
      }
      const reason = this.applyChecked(op);
      if (reason !== undefined) { outcomes.push({ status: 'rejected', id: op.id, reason }); continue; }
      outcomes.push({ status: 'applied', id: op.id });
      applied.push(op);
      // Release waiting ops iteratively: a work queue, never recursion.
      const queue = this.buffer.release(op.id);
      while (queue.length > 0) {
        const next = queue.shift()!;
        const r = this.applyChecked(next);
        if (r !== undefined) { lateRejections.push({ id: next.id, reason: r }); continue; }
        applied.push(next);
        for (const x of this.buffer.release(next.id)) queue.push(x);
      }
    }
    return { outcomes, applied, lateRejections };
  }

  /** Whether any op of this author is applied. */
  hasAuthor(author: AuthorId): boolean {
    return this.lastByAuthor.has(author);
  }

  /** @internal Whether an op is applied or waiting in the buffer. */
  holds(id: OpId): boolean {
    return this.isApplied(id) || this.buffer.has(id);
  }

  /** Checks that need the op's dependencies present: the author chain and the clock. */
  private checkHeader(op: Op): string | undefined {
    let maxDep = 0;
    if (op.prev !== null) {
      const prev = this.entryOf(op.prev);
      if (prev === undefined) return 'prev is not applied';
      if (prev.author !== op.author || prev.seq !== op.seq - 1) return "prev is not the author's previous op";
      maxDep = prev.lamport;
    }
    for (const d of op.deps) {
      const m = this.entryOf(d);
      if (m === undefined) return 'dependency is not applied';
      if (m.lamport > maxDep) maxDep = m.lamport;
    }
    if (op.lamport <= maxDep) return 'lamport is not after its dependencies';
    if (op.lamport > maxDep + MAX_LAMPORT_JUMP) return 'lamport jumps too far past its dependencies';
    return undefined;
  }

  private applyChecked(op: Op): string | undefined {
    const reason = this.checkHeader(op) ?? this.state.check(op) ?? this.validate?.(this, op);
    if (reason !== undefined) return reason;
    this.applyValid(op);
    return undefined;
  }

  private applyValid(op: Op): void {
    this.state.apply(op);
    const entry: Entry = { id: op.id, author: op.author, seq: op.seq, lamport: op.lamport, bytes: op.bytes };
    this.positions.set(op.id, this.entries.length);
    this.entries.push(entry);
    if (op.prev !== null) this.headSet.delete(op.prev);
    for (const d of op.deps) this.headSet.delete(d);
    this.headSet.add(op.id);
    if (op.lamport > this.clock) this.clock = op.lamport;
    const last = this.lastByAuthor.get(op.author);
    if (!last) this.lastByAuthor.set(op.author, { seq: op.seq, id: op.id, count: 1 });
    else {
      last.count++;
      if (op.seq > last.seq) { last.seq = op.seq; last.id = op.id; }
    }
  }

  // ---- snapshots (src/core/snapshot.ts) ----

  /** Every applied op's header metadata, in apply (insertion) order. */
  appliedMeta(): readonly AppliedOpMeta[] {
    return this.entries;
  }

  /** The heads in the order they became heads (prepare breaks Lamport ties by it, so a snapshot keeps it). */
  headsInOrder(): OpId[] {
    return [...this.headSet];
  }

  /** Per author: the op a next local op names as prev (highest seq, first applied on a tie), and how many ops it has. */
  *authorTips(): IterableIterator<AuthorTip> {
    for (const [author, l] of this.lastByAuthor) yield { author, seq: l.seq, id: l.id, count: l.count };
  }

  /**
   * Makes an empty document hold a log prefix as a snapshot recorded it: the
   * applied ops' metadata in apply order, author tips, heads and clock. The
   * state is restored separately (DocState.restore*). The ops' bytes come
   * later through `attachPrefix`; until then `log()` and `ops()` throw.
   */
  restorePrefix(meta: readonly PrefixEntry[], tips: readonly AuthorTip[], heads: readonly OpId[], clock: number, leads?: Float64Array): void {
    assert(this.entries.length === 0 && this.buffer.size === 0 && this.pendingLocal.size === 0, 'restore into a document that is not empty');
    // The entries become the log's own (no copy: a restore holds ~100k of them);
    // attachPrefix fills their bytes. A sorted table finds them by id (PrefixIds), built on first use.
    for (const m of meta) this.entries.push(m as Entry);
    this.prefixLength = meta.length;
    this.prefixLeads = leads;
    for (const t of tips) this.lastByAuthor.set(t.author, { seq: t.seq, id: t.id, count: t.count });
    for (const h of heads) this.headSet.add(h);
    this.clock = clock;
    this.detached = meta.length;
  }

  /** Position of an applied op in the log (insertion order), or undefined. */
  positionOf(id: OpId): number | undefined {
    return this.positions.get(id) ?? (this.prefixLength === 0 ? undefined : this.prefixPosition(id));
  }

  private prefixPosition(id: OpId): number | undefined {
    if (this.prefixIds === undefined) {
      // The first lookups (an open's short tail) scan; the table pays from there on.
      if (++this.prefixScans <= PREFIX_SCANS) {
        // A found id is remembered (an op's prev and deps are looked up more than once).
        const at = scanPrefix(this.entries, this.prefixLength, this.prefixLeads, id);
        if (at !== undefined) this.positions.set(id, at);
        return at;
      }
      this.prefixIds = new PrefixIds(this.entries, this.prefixLength, this.prefixLeads);
      this.prefixLeads = undefined;
    }
    return this.prefixIds.find(id);
  }

  // The Map first, written out in each (a nested call is not inlined on the hot path).
  private isApplied(id: OpId): boolean {
    return this.positions.has(id) || (this.prefixLength !== 0 && this.prefixPosition(id) !== undefined);
  }

  private entryOf(id: OpId): Entry | undefined {
    const i = this.positions.get(id) ?? (this.prefixLength === 0 ? undefined : this.prefixPosition(id));
    return i === undefined ? undefined : this.entries[i];
  }

  /** How many applied ops at the front of the log are not attached yet (0 unless restored from a snapshot). */
  get detachedOps(): number {
    return this.detached;
  }

  /**
   * Attaches the signed bytes of a restored prefix, in apply order (read back
   * from the store, with the ids they were stored under). Throws unless the
   * ids are exactly the prefix's.
   */
  attachPrefix(records: readonly { readonly id: OpId; readonly bytes: Uint8Array }[]): void {
    assert(records.length === this.detached, `attachPrefix needs ${this.detached} ops, got ${records.length}`);
    for (let i = 0; i < records.length; i++) assert(records[i]!.id === this.entries[i]!.id, `attachPrefix: op ${i} is not the prefix's op`);
    for (let i = 0; i < records.length; i++) this.entries[i]!.bytes = records[i]!.bytes;
    this.detached = 0;
  }

  // ---- queries ----

  /** Number of applied ops (attached or not). */
  get opCount(): number {
    return this.entries.length;
  }

  /** Whether an op is applied. */
  has(id: OpId): boolean {
    return this.isApplied(id);
  }

  /** The applied op log in insertion order: metadata and bytes (read-only view). Throws while a restored prefix is not attached. */
  log(): readonly LoggedOp[] {
    if (this.detached > 0) throw new InvariantError(`${this.detached} ops of the restored prefix are not attached yet`);
    return this.entries as readonly LoggedOp[];
  }

  /**
   * The applied ops decoded again from their bytes, in insertion order (a
   * new decode per call: tests and tools; see `log()` for the cheap view).
   */
  ops(): Op[] {
    return this.log().map(decodeLogged);
  }

  /** The signed bytes of an applied op (undefined when not applied, or in a prefix not attached yet). */
  bytesOf(id: OpId): Uint8Array | undefined {
    return this.entryOf(id)?.bytes;
  }

  /** Ops with no applied successor, sorted. */
  heads(): OpId[] {
    return [...this.headSet].sort();
  }

  /** The greatest Lamport timestamp applied. */
  get maxLamport(): number {
    return this.clock;
  }

  /** author → highest applied seq: the fast path of sync (SYNC). */
  versionVector(): Record<AuthorId, number> {
    const vv: Record<AuthorId, number> = Object.create(null) as Record<AuthorId, number>;
    for (const [a, l] of this.lastByAuthor) vv[a] = l.seq;
    return vv;
  }

  /** Ids some buffered op still waits for: what sync should fetch. */
  missingDependencies(): OpId[] {
    return this.buffer.missing();
  }

  /** Number of ops waiting in the dependency buffer. */
  get bufferedCount(): number {
    return this.buffer.size;
  }

  /** The materialised document (or one container) as plain JSON. */
  toJson(id?: ObjId): Json {
    return this.state.toJson(id);
  }

  /** SHA-256 hex of the canonical state encoding (CORE12). */
  stateHash(): string {
    return this.state.stateHash();
  }

  /** The whole state with its metadata as plain JSON, for the debug view (CORE15). */
  dump(): CoreDump {
    const tombstones: { list: ObjId; elem: ObjId }[] = [];
    for (const c of this.state.containers.values()) {
      if (c.kind !== 'list') continue;
      for (const el of c.list.all()) if (el.deleted) tombstones.push({ list: c.id, elem: el.id });
    }
    const authors: CoreDump['authors'] = {};
    for (const [a, l] of this.lastByAuthor) authors[a] = { ops: l.count, maxSeq: l.seq };
    return {
      items: this.toJson(),
      tombstones: { count: tombstones.length, elements: tombstones },
      totalOps: this.opCount,
      maxLamport: this.clock,
      heads: this.heads(),
      authors,
      buffered: { count: this.buffer.size, ops: this.buffer.list() },
      stateHash: this.stateHash(),
    };
  }
}

export interface CoreDump {
  items: Json;
  tombstones: { count: number; elements: { list: ObjId; elem: ObjId }[] };
  totalOps: number;
  maxLamport: number;
  heads: OpId[];
  authors: Record<AuthorId, { ops: number; maxSeq: number }>;
  buffered: { count: number; ops: { id: OpId; author: AuthorId; seq: number; missing: OpId[] }[] };
  stateHash: string;
}

/** Decodes a logged op again (its bytes were verified and applied, so they decode). */
export function decodeLogged(entry: LoggedOp): Op {
  const d = decodeOp(entry.bytes, entry.id);
  if (!d.ok) throw new InvariantError(`a logged op does not decode: ${d.reason}`);
  return d.op;
}

/** One batch of received ops on its way in; see `Document.beginIngest`. */
export class IngestSession {
  private readonly decoded: (Op | undefined)[] = [];
  private readonly failed: Outcome[] = [];
  private readonly auth: BatchAuthenticator;

  constructor(private readonly doc: Document, frames: readonly unknown[], ids?: readonly (OpId | undefined)[]) {
    for (let i = 0; i < frames.length; i++) {
      const d = decodeOp(frames[i], ids?.[i]);
      if (d.ok) this.decoded.push(d.op);
      else { this.decoded.push(undefined); this.failed.push({ status: 'rejected', reason: d.reason }); }
    }
    this.auth = new BatchAuthenticator(this.decoded);
    // Ops already held need no signature check; they will be reported as duplicates.
    this.decoded.forEach((op, i) => { if (op !== undefined && doc.holds(op.id)) this.auth.skip(i); });
  }

  /** True while signatures remain to be checked. */
  get pending(): boolean {
    return this.auth.pending;
  }

  /** The next signatures to check. */
  requests(): VerifyItem[] {
    return this.auth.requests();
  }

  /** Answers for the last requests, in order. */
  resolve(valid: readonly boolean[]): void {
    this.auth.resolve(valid);
  }

  /** Accepts, without checking their own signatures, the ops `sealed` picks: a verified seal by their author lists them (CORE18). Returns their positions. */
  acceptSealed(sealed: (op: Op) => boolean): number[] {
    const at: number[] = [];
    this.decoded.forEach((op, i) => {
      if (op !== undefined && !this.doc.holds(op.id) && sealed(op)) { this.auth.accept(i); at.push(i); }
    });
    return at;
  }

  /** Answers every pending signature from verdicts by input position (frames checked raw). */
  resolveBy(valid: (index: number) => boolean): void {
    this.auth.resolveBy(valid);
  }

  /** Applies what was authenticated; call once, when nothing is pending. */
  finish(): IngestResult {
    assert(!this.auth.pending, 'finish() before every signature was checked');
    return this.doc.accept(this.decoded, this.failed, (i) => this.auth.isAuthentic(i));
  }
}
