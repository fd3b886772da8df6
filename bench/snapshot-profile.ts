// Cold-open costs in Node (issue 4/6), from the cached 100,000-op board backup
// (tests/e2e/perf/board-perf.ts): full replay, snapshot encode/restore, tail
// replay, board index build and the first full patch's size. Medians of RUNS.
//   node --import tsx bench/snapshot-profile.ts [ops]
import { performance } from 'node:perf_hooks';
import { Document, decodeOp, encodeSnapshot, isSealFrame, restoreSnapshot, type Op } from '../src/core/index.js';
import { BoardIndex, validateOpForBoard } from '../src/pipeline/index.js';
import { decodeLogFile } from '../src/protocol/log-file.js';
import { cachedBackup } from '../tests/e2e/perf/board-perf.js';

const OPS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = <T>(fn: () => T): [T, number] => { const t = performance.now(); const r = fn(); return [r, performance.now() - t]; };

const file = decodeLogFile(await cachedBackup({ stories: OPS / 10, ops: OPS }));
const frames = file.ops.filter((f) => !isSealFrame(f));
const records = frames.map((bytes) => { const d = decodeOp(bytes); if (!d.ok) throw new Error(d.reason); return { id: d.op.id, bytes }; });
const figures: Record<string, number[]> = {};
const add = (k: string, v: number) => (figures[k] ??= []).push(v);
for (let run = 0; run < RUNS; run++) {
  const [full, replayMs] = time(() => { const d = new Document({ validate: validateOpForBoard }); d.replay(records); return d; });
  add('full replay ms', replayMs);
  const [snap, encodeMs] = time(() => encodeSnapshot(full));
  add('snapshot encode ms', encodeMs);
  add('snapshot KiB', snap.length / 1024);
  const [restored, restoreMs] = time(() => restoreSnapshot(snap, { validate: validateOpForBoard }));
  if (!restored.ok) throw new Error(restored.reason);
  add('snapshot restore ms', restoreMs);
  const [index, indexMs] = time(() => new BoardIndex(restored.doc));
  add('board index ms', indexMs);
  const [view, viewMs] = time(() => index.view.stories.length);
  add('view materialise ms', viewMs);
  void view;
  const [ops, decodeMs] = time(() => records.map((r) => (decodeOp(r.bytes, r.id) as { op: Op }).op));
  add('decode all ops ms', decodeMs);
  const [, attachMs] = time(() => restored.doc.attachPrefix(ops.map((o) => ({ id: o.id, bytes: o.bytes }))));
  add('attach ms', attachMs);
  if (restored.doc.stateHash() !== full.stateHash()) throw new Error('restored state differs');
}
console.log(`${OPS} ops, ${(frames.reduce((n, f) => n + f.length, 0) / 1024).toFixed(0)} KiB of ops; medians of ${RUNS}`);
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(22)} ${median(v).toFixed(1).padStart(9)}   (${v.map((x) => x.toFixed(0)).join(', ')})`);
