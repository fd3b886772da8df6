// The op: one signed change by one author (DESIGN §2, SPEC CORE1–CORE4).
// An op carries one or more actions (set a map field, insert into a list,
// delete from a list) so that one user command — "create a story with its
// fields and criteria" — costs one hash and one signature, the way an
// Automerge change groups its operations.

/** 64 lowercase hex characters: SHA-256 of an op's canonical body (CORE2). */
export type OpId = string;
/** 64 lowercase hex characters: an Ed25519 public key. */
export type AuthorId = string;
/**
 * Names a container (map or list) or a list element: `root`, `head` (the
 * position before a list's first element) or `<opId>:<actionIndex>`, the
 * action that created it (CORE6).
 */
export type ObjId = string;

export const ROOT: ObjId = 'root';
export const HEAD: ObjId = 'head';

export type Primitive = null | boolean | number | string;
export type ContainerKind = 'map' | 'list';
/** A field or element value: a primitive, or a new empty container. */
export type Value = Primitive | { readonly make: ContainerKind };

/** A reference inside a local op being built: an id, or an earlier action of the same op. */
export type LocalRef = ObjId | { readonly self: number };

export type Action =
  | { readonly type: 'set'; readonly obj: ObjId; readonly key: string; readonly value: Value }
  | { readonly type: 'ins'; readonly obj: ObjId; readonly after: ObjId; readonly value: Value }
  | { readonly type: 'del'; readonly obj: ObjId; readonly elem: ObjId };

export type LocalAction =
  | { readonly type: 'set'; readonly obj: LocalRef; readonly key: string; readonly value: Value }
  | { readonly type: 'ins'; readonly obj: LocalRef; readonly after: LocalRef; readonly value: Value }
  | { readonly type: 'del'; readonly obj: LocalRef; readonly elem: LocalRef };

/** The signed fields of an op, before hashing. */
export interface OpHeader {
  readonly author: AuthorId;
  readonly seq: number;
  readonly lamport: number;
  /** The author's op with seq − 1; null exactly when seq is 1 (CORE4). */
  readonly prev: OpId | null;
  /** Other causal dependencies, ascending, without prev. */
  readonly deps: readonly OpId[];
}

/** A decoded op: header, actions with references resolved, id, signature and wire bytes. */
export interface Op extends OpHeader {
  readonly id: OpId;
  readonly actions: readonly Action[];
  /** 64-byte Ed25519 signature over the 32 id bytes. */
  readonly sig: Uint8Array;
  /** The whole signed op as sent and stored: body ‖ sig. */
  readonly bytes: Uint8Array;
  /**
   * Set by decodeOp when every action's references name the op itself, its
   * prev, one of its deps or nothing: CORE9's reference test, done while
   * decoding, which `DocState.check` then skips. Ops built locally leave it unset.
   */
  readonly refsCausal?: boolean;
}

/** Size and shape caps; ops outside them are rejected (CORE11). */
export const LIMITS = {
  maxOpBytes: 64 * 1024,
  maxActions: 1024,
  maxDeps: 64,
  maxKeyBytes: 128,
  maxStringBytes: 32 * 1024,
  maxCounter: 2 ** 48,
  maxDepth: 16,
} as const;

export const FORMAT_VERSION = 1;
export const SIG_BYTES = 64;

/** Whether `value` creates a container. */
export function isContainerValue(value: Value): value is { readonly make: ContainerKind } {
  return typeof value === 'object' && value !== null;
}

/** The id of the thing created by action `index` of op `id`. */
export function actionObjId(id: OpId, index: number): ObjId {
  return `${id}:${index}`;
}

/**
 * Whether `obj` has the form `<64 chars>:<canonical decimal index>` that
 * parseObjId accepts; checked without allocating (a hot path of DocState.check).
 */
export function isObjIdForm(obj: ObjId): boolean {
  const n = obj.length;
  if (n < 66 || n > 65 + 16 || obj.charCodeAt(64) !== 58 /* : */) return false;
  // Canonical: digits only, no leading zero (but "0"), at most Number.MAX_SAFE_INTEGER.
  if (obj.charCodeAt(65) === 48 /* 0 */ && n > 66) return false;
  let index = 0;
  for (let i = 65; i < n; i++) {
    const c = obj.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    index = index * 10 + c;
  }
  return index <= Number.MAX_SAFE_INTEGER;
}

/** The action index of an id of the `<opId>:<index>` form (check with isObjIdForm first). */
export function objIdIndex(obj: ObjId): number {
  let index = 0;
  for (let i = 65; i < obj.length; i++) index = index * 10 + (obj.charCodeAt(i) - 48);
  return index;
}

/** Splits `<opId>:<index>` into its parts, or undefined for root/head/garbage. */
export function parseObjId(obj: ObjId): { op: OpId; index: number } | undefined {
  if (!isObjIdForm(obj)) return undefined;
  return { op: obj.slice(0, 64), index: Number(obj.slice(65)) };
}
