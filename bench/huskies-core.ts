// Core benchmarks (issue 2): local signed edits, remote verified apply
// (catch-up batches and live one-by-one; noble and WebCrypto), unsigned apply
// (replay), and the raw limits: Ed25519 sign/verify and SHA-256 of op-sized input.
import { Document, keyPairFromSeed, sha256, signBytes, toHex, verifyBytes, type LocalAction, type Op } from '../src/core/index.js';
import { NobleVerifier, WebCryptoVerifier, type Verifier } from '../src/worker/verifier.js';
import { NobleSigner, WebCryptoSigner, type Signer } from '../src/worker/signer.js';
import { huskiesCreateStory, huskiesInit, purges, updates, type Update, type WorkloadSize } from './workload.js';

/** Elapsed ms of an async or sync function. */
export async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The actions of update u, given the op ids that created each story. */
export function updateActions(u: Update, storyOps: readonly string[]): LocalAction[] {
  const story = `${storyOps[u.story]}:0`;
  if (u.kind === 'stage') return [{ type: 'set', obj: story, key: 'stage', value: u.stage }];
  if (u.kind === 'title') return [{ type: 'set', obj: story, key: 'title', value: u.title }];
  return [{ type: 'set', obj: `${storyOps[u.story]}:${12 + 3 * u.criterion}`, key: 'done', value: u.done }];
}

/** Builds the workload on one Document with a signer; returns the ops and the rate. */
export async function buildSigned(size: WorkloadSize, signer: Signer, limit = Infinity): Promise<{ ops: Op[]; opsPerSec: number; count: number }> {
  const doc = new Document();
  const author = toHex(signer.publicKey);
  const ops: Op[] = [];
  const commit = async (actions: LocalAction[]) => {
    const p = doc.prepare(author, actions);
    const op = doc.commit(p, await signer.sign(p.idBytes));
    ops.push(op);
    return op;
  };
  const t0 = performance.now();
  const init = await commit(huskiesInit);
  const list = `${init.id}:0`;
  const storyOps: string[] = [];
  for (let i = 0; i < size.stories && ops.length < limit; i++) storyOps.push((await commit(huskiesCreateStory(list, i))).id);
  if (storyOps.length === size.stories) {
    for (const u of updates(size)) { if (ops.length >= limit) break; await commit(updateActions(u, storyOps)); }
    for (const s of purges(size)) { if (ops.length >= limit) break; await commit([{ type: 'del', obj: list, elem: `${storyOps[s]}:0` }]); }
  }
  const ms = performance.now() - t0;
  return { ops, opsPerSec: ops.length / (ms / 1000), count: ops.length };
}

/** Ingests ops in sync-sized batches (~16 KiB frames) with an async verifier; returns ops/s. */
export async function ingestBatches(ops: readonly Op[], verifier: Verifier, batchBytes = 16 * 1024): Promise<number> {
  const doc = new Document();
  const t0 = performance.now();
  let i = 0;
  while (i < ops.length) {
    const frames: Uint8Array[] = [];
    let bytes = 0;
    while (i < ops.length && (frames.length === 0 || bytes + ops[i]!.bytes.length <= batchBytes)) { bytes += ops[i]!.bytes.length; frames.push(ops[i++]!.bytes); }
    const s = doc.beginIngest(frames);
    while (s.pending) s.resolve(await verifier.verify(s.requests()));
    const r = s.finish();
    if (r.applied.length !== frames.length) throw new Error('bench: not every op applied');
  }
  return ops.length / ((performance.now() - t0) / 1000);
}

/** Ingests ops one at a time (live mode: one verify per op); returns ops/s. */
export async function ingestLive(ops: readonly Op[], verifier: Verifier): Promise<number> {
  const doc = new Document();
  const t0 = performance.now();
  for (const op of ops) {
    const s = doc.beginIngest([op.bytes]);
    while (s.pending) s.resolve(await verifier.verify(s.requests()));
    s.finish();
  }
  return ops.length / ((performance.now() - t0) / 1000);
}

/** Replays ops without verification (the unsigned apply path); returns ops/s. */
export function replayRate(ops: readonly Op[]): number {
  const doc = new Document();
  const t0 = performance.now();
  doc.replay(ops.map((o) => ({ id: o.id, bytes: o.bytes })));
  return ops.length / ((performance.now() - t0) / 1000);
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

/** The issue-2 core figures for one workload size. */
export async function coreFigures(size: WorkloadSize): Promise<Record<string, number>> {
  const seed = new Uint8Array(32).fill(3);
  const wcSigner = await WebCryptoSigner.fromSeed(seed);
  const built = await buildSigned(size, wcSigner);
  const noble = await buildSigned(size, new NobleSigner(seed), 2_000);
  const ops = built.ops;
  const liveSample = ops.slice(0, 2_000);
  return {
    ops: ops.length,
    localSignedWebCryptoOpsPerSec: built.opsPerSec,
    localSignedNobleOpsPerSec: noble.opsPerSec,
    unsignedApplyOpsPerSec: replayRate(ops),
    catchUpNobleOpsPerSec: await ingestBatches(ops, new NobleVerifier()),
    catchUpWebCryptoOpsPerSec: await ingestBatches(ops, new WebCryptoVerifier(globalThis.crypto.subtle)),
    liveNobleOpsPerSec: await ingestLive(liveSample, new NobleVerifier()),
    liveWebCryptoOpsPerSec: await ingestLive(ops, new WebCryptoVerifier(globalThis.crypto.subtle)),
  };
}
