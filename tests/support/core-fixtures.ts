// Shared fixtures for the core's vector, Byzantine, property and regression
// tests: fixed keys (derived once from fixed seeds, so every run signs the same
// bytes), a raw op signer that bypasses the Document's checks (to build hostile
// ops), byte surgery helpers and a small story-board builder.
import {
  Document, ROOT, encodeBody, joinSigned, keyPairFromSeed, sha256, signBytes, toHex,
  type BufferLimits, type KeyPair, type LocalAction, type ObjId, type Op, type OpHeader, type OpId,
} from '../../src/core/index.js';

/** A 32-byte seed filled with `n` (deterministic keys, no randomness). */
export function seedOf(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

/** Fixed test identities; key derivation is done once per test file. */
export const KEYS = {
  alice: keyPairFromSeed(seedOf(1)),
  bob: keyPairFromSeed(seedOf(2)),
  carol: keyPairFromSeed(seedOf(3)),
  mallory: keyPairFromSeed(seedOf(66)),
} as const;

/** The author id (hex public key) of a key pair. */
export function authorOf(keys: KeyPair): string {
  return toHex(keys.publicKey);
}

/** The id (hex SHA-256) of a body. */
export function idOf(body: Uint8Array): OpId {
  return toHex(sha256(body));
}

/** Signs an arbitrary body (canonical or not) the way an honest signer would: over SHA-256(body). */
export function signBody(keys: KeyPair, body: Uint8Array): Uint8Array {
  return joinSigned(body, signBytes(keys.secretKey, sha256(body)));
}

/** Encodes and signs an op directly, skipping every Document check: the attacker's tool. */
export function forgeOp(keys: KeyPair, header: OpHeader, actions: readonly LocalAction[]): Uint8Array {
  return signBody(keys, encodeBody(header, actions));
}

/** A copy of `bytes` with byte `i` XORed with `mask`. */
export function flipByte(bytes: Uint8Array, i: number, mask = 1): Uint8Array {
  const out = bytes.slice();
  out[i] = out[i]! ^ mask;
  return out;
}

/** A copy of `bytes` with `count` bytes at `at` replaced by `insert`. */
export function splice(bytes: Uint8Array, at: number, count: number, insert: readonly number[]): Uint8Array {
  return Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at + count)]);
}

/** The body of a signed op (everything but the trailing 64-byte signature). */
export function bodyOf(signed: Uint8Array): Uint8Array {
  return signed.slice(0, signed.length - 64);
}

/** The wire bytes of every applied op of a document, in insertion order. */
export function framesOf(doc: Document): Uint8Array[] {
  return doc.log().map((op) => op.bytes);
}

/** A fresh replica that ingested `frames` (verified). */
export function replicaOf(frames: readonly Uint8Array[], bufferLimits?: BufferLimits): Document {
  const doc = new Document(bufferLimits ? { bufferLimits } : {});
  doc.ingest(frames);
  return doc;
}

/** A small honest board: a `stories` list on the root with stories (maps) in it. */
export interface Board {
  readonly doc: Document;
  readonly stories: ObjId;
  /** Inserts a story map with a title after `after` (default: the head); returns the story's ObjId. */
  addStory(keys: KeyPair, title: string, after?: ObjId): { op: Op; story: ObjId };
}

/** Creates the board with its first op by `keys`. */
export function makeBoard(keys: KeyPair = KEYS.alice): Board {
  const doc = new Document();
  const first = doc.change(keys, [{ type: 'set', obj: ROOT, key: 'stories', value: { make: 'list' } }]);
  const stories = `${first.id}:0`;
  return {
    doc,
    stories,
    addStory(k, title, after = 'head') {
      const op = doc.change(k, [
        { type: 'ins', obj: stories, after, value: { make: 'map' } },
        { type: 'set', obj: { self: 0 }, key: 'title', value: title },
        { type: 'set', obj: { self: 0 }, key: 'stage', value: 'backlog' },
      ]);
      return { op, story: `${op.id}:0` };
    },
  };
}

/** Every permutation of a short array (n ≤ 5). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** Whether the extensive (slow) mode is on: HUSKIES_EXTENSIVE=1. */
export const EXTENSIVE = typeof process !== 'undefined' && process.env['HUSKIES_EXTENSIVE'] === '1';
