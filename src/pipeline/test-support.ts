// Test helpers for the pipeline suites (not part of the public surface):
// deterministic keys, signed and unsigned local ops, and a two-replica sync.
import { Document, keyPairFromSeed, toHex, type KeyPair, type LocalAction, type Op } from '../core/index.js';

export function keys(n: number): KeyPair & { hex: string } {
  const seed = new Uint8Array(32).fill(n);
  const k = keyPairFromSeed(seed);
  return { ...k, hex: toHex(k.publicKey) };
}

/** A signed local op (noble, ~1k/s): for tests that ingest into another document. */
export function signed(doc: Document, k: KeyPair, actions: LocalAction[]): Op {
  return doc.change(k, actions);
}

const ZERO_SIG = new Uint8Array(64);

/** An unsigned local op (hash only): for bulk setup that never leaves this document. */
export function unsigned(doc: Document, author: string, actions: LocalAction[]): Op {
  return doc.commit(doc.prepare(author, actions), ZERO_SIG);
}

/** Sends every op `to` lacks from `from`, in `from`'s insertion order; returns the applied ops. */
export function sync(from: Document, to: Document): Op[] {
  const frames = from.log().filter((o) => !to.has(o.id)).map((o) => o.bytes);
  return to.ingest(frames).applied;
}
