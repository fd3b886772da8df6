// Replica start-up (issue 3): a stored op log of N ops (a board built by the
// pipeline's own commands, signed) replayed in insertion order into a ready
// replica — loadAll, replay, board index — over MemoryOpStore, so the figure
// is the replica's own cost; Chromium's IndexedDB read is measured by the
// board's cold-open benchmark.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLogFile } from '../src/protocol/log-file.js';
import { MemoryOpStore } from '../src/storage/memory-op-store.js';
import { NobleSigner } from '../src/worker/signer.js';
import { NobleVerifier } from '../src/worker/verifier.js';
import { Replica } from '../src/worker/replica.js';
import { isSealFrame, sha256, toHex } from '../src/core/index.js';
import { makeBackup } from '../tests/e2e/support/make-backup.js';

/** Ms to open a replica over a store holding `ops` ops (median of `runs`), plus the ops/s. */
export async function benchReplicaOpen(ops: number, runs = 3): Promise<{ ops: number; openMs: number; opsPerSec: number; stories: number }> {
  const cache = join(tmpdir(), `huskies-bench-log-${ops}.huskylog`);
  let file: Uint8Array;
  if (existsSync(cache)) file = new Uint8Array(readFileSync(cache));
  else {
    const half = Math.floor(ops / 2);
    file = (await makeBackup(half, ops - half - 1)).file;
    writeFileSync(cache, file);
  }
  const records = decodeLogFile(file).ops.filter((f) => !isSealFrame(f)).map((bytes) => ({ id: toHex(sha256(bytes.subarray(0, bytes.length - 64))), bytes }));
  const times: number[] = [];
  let stories = 0;
  for (let i = 0; i < runs; i++) {
    const store = new MemoryOpStore();
    await store.append(records);
    const t = performance.now();
    const replica = await Replica.open({
      roomId: 'bench', store, meta: store, signer: new NobleSigner(new Uint8Array(32).fill(1)), verifier: new NobleVerifier(),
      now: () => 1_700_000_000_000, randomBytes: (n) => new Uint8Array(n), schedule: () => () => {},
    });
    times.push(performance.now() - t);
    stories = replica.view().stories.length;
    replica.close();
  }
  times.sort((a, b) => a - b);
  const openMs = times[times.length >> 1]!;
  return { ops: records.length, openMs, opsPerSec: records.length / (openMs / 1000), stories };
}
