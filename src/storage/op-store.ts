// The OpStore port: the persistent, append-only log of CRDT ops (DESIGN §1).
// The log is the ONLY store of board state; everything else is derived from it.
// Ops are opaque here: an op id (64-char lowercase hex SHA-256) and its encoded
// bytes. Replay uses insertion order, never Lamport or seq order [STORE1].
// Adapters: IdbOpStore (IndexedDB), MemoryOpStore (tests, simulation); both
// also implement MetaStore and SealStore.
// Shape follows automerge-repo's StorageAdapterInterface: tiny, one doc line per method.

/** One persisted op: its id and its canonical encoded bytes. */
export interface StoredOp {
  readonly id: string;
  readonly bytes: Uint8Array;
}

export interface OpStore {
  /** Appends ops in the given order, batched into few transactions; ops whose id is already stored are skipped (idempotent, so a failed batch can simply be retried). Resolves with the number newly stored; rejects with OpStoreError (kind: 'quota' | 'aborted' | 'blocked' | 'closed' | 'unknown', with the cause) when a write fails. */
  append(ops: readonly StoredOp[]): Promise<number>;
  /** Every stored op in insertion order. */
  loadAll(): Promise<StoredOp[]>;
  /** The ops at insertion positions start, start + 1, … (at most `limit`), in insertion order: `loadAll().slice(start, start + limit)` without reading the rest [STORE12]. */
  loadFrom(start: number, limit?: number): Promise<StoredOp[]>;
  /** The ops stored after the op with this id, in insertion order; undefined when no op has this id [STORE14]. */
  loadAfter(id: string): Promise<StoredOp[] | undefined>;
  /** Whether an op with this id is stored. */
  has(id: string): Promise<boolean>;
  /** How many ops are stored. */
  count(): Promise<number>;
  /** Releases the store; later calls reject with OpStoreError kind 'closed'. */
  close(): Promise<void>;
}

/** Small key-value port for the replica's identity and settings, kept in the same database as the op log. */
export interface MetaStore {
  /** The value stored under key (a structured-clone copy), or undefined when none. */
  get(key: string): Promise<unknown>;
  /** Stores a structured-clone copy of value under key, replacing any previous one. */
  set(key: string, value: unknown): Promise<void>;
}

/** Seals (REPL17): signed lists of an author's op ids, kept beside the log so they can be passed on with the ops. Opaque here: an id and bytes, like ops. */
export interface SealStore {
  /** Stores seals; a seal whose id is already stored is skipped (idempotent). Resolves with the number newly stored; rejects with OpStoreError on a failed write, TypeError on misuse (same checks as append: assertStorableOps). */
  appendSeals(seals: readonly StoredOp[]): Promise<number>;
  /** Every stored seal (any order). */
  loadSeals(): Promise<StoredOp[]>;
}

/** Why a storage call failed; the replica shows it to the user and retries (DESIGN §3, STORE8). */
export type OpStoreErrorKind = 'quota' | 'aborted' | 'blocked' | 'closed' | 'unknown';

/** A storage failure. Writes are all-or-nothing per transaction, and append is idempotent, so retrying is always safe. */
export class OpStoreError extends Error {
  override readonly name = 'OpStoreError';
  readonly kind: OpStoreErrorKind;
  override readonly cause: unknown;

  constructor(kind: OpStoreErrorKind, message: string, cause?: unknown) {
    super(message);
    this.kind = kind;
    this.cause = cause;
  }
}

const OP_ID = /^[0-9a-f]{64}$/;

/**
 * Programmer misuse, not hostile input: the replica only persists ops it has
 * already validated, so a bad id or non-byte payload here is a bug and throws
 * a TypeError before anything is written [STORE9].
 */
export function assertStorableOps(ops: readonly StoredOp[]): void {
  if (!Array.isArray(ops)) throw new TypeError('append: ops must be an array');
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (typeof op !== 'object' || op === null) throw new TypeError(`append: ops[${i}] is not an object`);
    if (typeof op.id !== 'string' || !OP_ID.test(op.id)) {
      throw new TypeError(`append: ops[${i}].id must be 64 lowercase hex characters`);
    }
    if (!(op.bytes instanceof Uint8Array)) throw new TypeError(`append: ops[${i}].bytes must be a Uint8Array`);
  }
}

/** Programmer misuse of loadFrom: positions and limits are non-negative integers [STORE12]. */
export function assertRange(start: unknown, limit: unknown): void {
  if (!Number.isSafeInteger(start) || (start as number) < 0) throw new TypeError('loadFrom: start must be a non-negative integer');
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) throw new TypeError('loadFrom: limit must be a non-negative integer');
}

/**
 * A plain Uint8Array that owns exactly its bytes. Structured clone of a view
 * copies the WHOLE underlying buffer, so storing a subarray as-is would
 * persist its neighbours too; Buffer subclasses are normalised as well [STORE5].
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  const exact =
    bytes.constructor === Uint8Array && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return exact ? bytes : new Uint8Array(bytes);
}
