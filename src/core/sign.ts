// Ed25519 signing and verification with @noble/ed25519 — the portable,
// synchronous path. Verification follows ZIP215 (noble's default), pinned
// here so that every peer accepts exactly the same signatures (CORE8); a
// faster verifier (WebCrypto) outside the core must agree with this one.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

/** A key pair; the secret key is the 32-byte RFC 8032 seed. */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Derives the key pair of a 32-byte seed (randomness comes from the caller). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (!(seed instanceof Uint8Array)) throw new TypeError('seed must be a Uint8Array');
  if (seed.length !== 32) throw new RangeError('seed must be 32 bytes');
  return { publicKey: ed.getPublicKey(seed), secretKey: seed.slice() };
}

/** Signs a message (the 32 id bytes of an op). */
export function signBytes(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey);
}

/**
 * ZIP215 verification. Never throws on hostile input: a malformed key or
 * signature is simply invalid (false), as in noble's own error tiers.
 */
export function verifyBytes(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey, { zip215: true });
  } catch {
    return false;
  }
}

/** One signature to check. */
export interface VerifyItem {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** Checks a batch of signatures; the answer for item i is at index i. */
export type VerifyBatch = (items: readonly VerifyItem[]) => boolean[];

/** The synchronous noble verifier, one verify per item. */
export const nobleVerifyBatch: VerifyBatch = (items) =>
  items.map((it) => verifyBytes(it.signature, it.message, it.publicKey));
