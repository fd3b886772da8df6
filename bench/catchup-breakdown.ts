// Where a received op's CPU time goes on the catch-up path (issues 5/6), phase
// by phase, in one Node process on the same board the browser bench uses
// (half story creations, half edits; one author). Each phase is timed in
// process CPU time (user + system), steadier than wall time on a shared
// machine, and reported in µs per op (median of the runs):
//   node --import tsx bench/catchup-breakdown.ts            # 10,000 ops
//   HUSKIES_BREAKDOWN_OPS=100000 node --import tsx bench/catchup-breakdown.ts
// The phases are the ones the replica worker runs per batch: hash (SHA-256 of
// the body), verify (Ed25519 over the id), decode (with the id already known),
// apply (core checks + board schema + state), board index.
import { webcrypto } from 'node:crypto';
import { Document, decodeOp, isSealFrame, sha256, toHex, verifyBytes, type IngestResult } from '../src/core/index.js';
import { BoardIndex, validateOpForBoard } from '../src/pipeline/index.js';
import { decodeLogFile } from '../src/protocol/log-file.js';
import { cachedBackup } from '../tests/e2e/perf/board-perf.js';
import { CryptoKeyCache, checkPacked, packFrames } from '../src/worker/wire-verifier.js';

const OPS = Number(process.env.HUSKIES_BREAKDOWN_OPS ?? 10_000);
const RUNS = Number(process.env.HUSKIES_BREAKDOWN_RUNS ?? 3);
const BATCH = 100; // about one 128 KiB catch-up message of this board

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const file = await cachedBackup({ stories: Math.floor(OPS / 2), ops: OPS });
const parsed = decodeLogFile(file);
if (!parsed.ok) throw new Error(parsed.reason);
const frames = parsed.ops.filter((f) => !isSealFrame(f)); // the ops, each verified on its own signature here
const batches: Uint8Array[][] = [];
for (let i = 0; i < frames.length; i += BATCH) batches.push(frames.slice(i, i + BATCH));
const subtle = webcrypto.subtle as unknown as SubtleCrypto;

async function once(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const time = async (name: string, fn: () => unknown): Promise<void> => { const t = cpuMs(); await fn(); out[name] = ((cpuMs() - t) * 1000) / frames.length; };
  const ids: string[] = [];
  await time('hashNobleUs', () => { for (const f of frames) ids.push(toHex(sha256(f.subarray(0, f.length - 64)))); });
  await time('hashWebCryptoUs', async () => { for (const b of batches) await Promise.all(b.map((f) => subtle.digest('SHA-256', f.subarray(0, f.length - 64) as BufferSource))); });
  const keys = new CryptoKeyCache(subtle);
  await time('hashAndVerifyWebCryptoUs', async () => { for (const b of batches) await checkPacked(packFrames(b), subtle, keys); });
  // noble on a sample: it is ~10× slower, a full pass would dominate the run.
  const sample = frames.slice(0, 200);
  const t = cpuMs();
  for (const f of sample) verifyBytes(f.subarray(f.length - 64), sha256(f.subarray(0, f.length - 64)), f.subarray(1, 33));
  out.verifyNobleUs = ((cpuMs() - t) * 1000) / sample.length;
  await time('decodeUs', () => { for (let i = 0; i < frames.length; i++) decodeOp(frames[i]!, ids[i]); });
  const doc = new Document({ validate: validateOpForBoard });
  const index = new BoardIndex(doc);
  let applied = 0;
  let k = 0;
  const results: IngestResult[] = [];
  await time('decodeAndApplyUs', () => {
    for (const b of batches) {
      const s = doc.beginIngest(b, ids.slice(k, k + b.length));
      k += b.length;
      s.resolveBy(() => true);
      results.push(s.finish());
    }
  });
  await time('boardIndexUs', () => { for (const r of results) { index.update(r.applied, 0); applied += r.applied.length; } });
  if (applied !== frames.length) throw new Error(`applied ${applied} of ${frames.length}`);
  out.applyUs = out.decodeAndApplyUs! - out.decodeUs!;
  // The board schema alone (already inside apply): re-validate every op against the final state.
  await time('schemaUs', () => { for (const op of doc.ops()) validateOpForBoard(doc, op); });
  return out;
}

const runs: Record<string, number>[] = [];
for (let r = 0; r < RUNS; r++) runs.push(await once());
const result: Record<string, number> = { ops: frames.length };
for (const key of Object.keys(runs[0]!)) result[key] = Math.round(median(runs.map((x) => x[key]!)) * 10) / 10;
console.log(JSON.stringify(result));
