// Core helpers for the bench (issue 2): the actions of a workload update on
// huskies, and the raw limits: Ed25519 sign/verify (noble, WebCrypto) and
// SHA-256 of op-sized input.
import { keyPairFromSeed, sha256, signBytes, verifyBytes, type LocalAction } from '../src/core/index.js';
import { WebCryptoVerifier } from '../src/worker/verifier.js';
import { WebCryptoSigner } from '../src/worker/signer.js';
import type { Update } from './workload.js';

/**
 * The ids of a story's containers, made once when it is created: what the
 * app's board index hands a command, and what the Yjs run's Y.Map handle is
 * to it. The story map is action 0 of its op; criterion c's map is action 12 + 3c.
 */
export interface StoryHandle { readonly story: string; readonly criteria: readonly string[] }

export function storyHandle(opId: string): StoryHandle {
  return { story: `${opId}:0`, criteria: [0, 1, 2].map((c) => `${opId}:${12 + 3 * c}`) };
}

/** The actions of update u, given each story's handle. */
export function updateActions(u: Update, stories: readonly StoryHandle[]): LocalAction[] {
  const h = stories[u.story]!;
  if (u.kind === 'stage') return [{ type: 'set', obj: h.story, key: 'stage', value: u.stage }];
  if (u.kind === 'title') return [{ type: 'set', obj: h.story, key: 'title', value: u.title }];
  return [{ type: 'set', obj: h.criteria[u.criterion]!, key: 'done', value: u.done }];
}

/** Raw limits: Ed25519 sign/verify (noble, WebCrypto) and SHA-256 of 200-byte input. */
export async function rawRates(n: number): Promise<Record<string, number>> {
  const seed = new Uint8Array(32).fill(9);
  const kp = keyPairFromSeed(seed);
  const msg = sha256(new Uint8Array([1, 2, 3]));
  const sig = signBytes(kp.secretKey, msg);
  const out: Record<string, number> = {};
  let t = performance.now();
  for (let i = 0; i < n; i++) signBytes(kp.secretKey, msg);
  out.nobleSignPerSec = n / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) verifyBytes(sig, msg, kp.publicKey);
  out.nobleVerifyPerSec = n / ((performance.now() - t) / 1000);
  const wc = await WebCryptoSigner.fromSeed(seed);
  const m = n * 5;
  t = performance.now();
  for (let i = 0; i < m; i += 100) await Promise.all(Array.from({ length: 100 }, () => wc.sign(msg)));
  out.webcryptoSignPerSec = m / ((performance.now() - t) / 1000);
  // One at a time, each awaited: the rate a per-op `await signer.sign` loop can reach.
  t = performance.now();
  for (let i = 0; i < n; i++) await wc.sign(msg);
  out.webcryptoSignSequentialPerSec = n / ((performance.now() - t) / 1000);
  const v = new WebCryptoVerifier(globalThis.crypto.subtle);
  const items = Array.from({ length: 100 }, () => ({ publicKey: kp.publicKey, message: msg, signature: sig }));
  t = performance.now();
  for (let i = 0; i < m; i += 100) await v.verify(items);
  out.webcryptoVerifyPerSec = m / ((performance.now() - t) / 1000);
  const data = new Uint8Array(200).fill(7);
  t = performance.now();
  for (let i = 0; i < m * 4; i++) sha256(data);
  out.sha256PerSec = (m * 4) / ((performance.now() - t) / 1000);
  return out;
}
