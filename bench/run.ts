// `npm run bench [-- --quick] [-- --browser] [-- --size=S,U,P] [-- --runs=N]`:
// the board workload on huskies,
// Yjs, Automerge and Loro in one process, with a warm-up and several timed
// runs (medians), a memory probe per engine in its own process, the raw
// crypto limits, the relay load run and the storage benches. Writes
// bench/results/<date>-<mode>.json, latest.json and latest.md (docs/BENCHMARKS.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { huskiesRun } from './engines/huskies.js';
import { loadEngine, PEERS } from './engines/index.js';
import type { EngineRun } from './engines/engine.js';
import { rawRates } from './huskies-core.js';
import { runRelayLoad } from './relay-load.js';
import { benchFakeIdb, benchStorage } from './storage-bench.js';
import { benchReplicaOpen } from './replica-open.js';
import { markdown, type BenchResult, type Figures } from './report.js';
import { FULL, QUICK, editCount, type WorkloadSize } from './workload.js';
import { MemoryOpStore } from '../src/storage/memory-op-store.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const browser = args.has('--browser') && !quick;
/** `--size=stories,updates,purges` overrides the workload (e.g. 2000,10000,200 for a mid-size run). */
function sizeArg(): WorkloadSize | undefined {
  const v = argv.find((a) => a.startsWith('--size='))?.slice('--size='.length);
  if (v === undefined) return undefined;
  const [stories, updates, purges] = v.split(',').map(Number);
  if (![stories, updates, purges].every((n) => Number.isSafeInteger(n) && n! >= 0) || purges! > stories!) {
    throw new Error(`--size wants stories,updates,purges (purges ≤ stories), got ${v}`);
  }
  return { stories: stories!, updates: updates!, purges: purges! };
}
const size: WorkloadSize = sizeArg() ?? (quick ? QUICK : FULL);
const runsArg = Number(argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length));
const runs = Number.isSafeInteger(runsArg) && runsArg > 0 ? runsArg : quick ? 2 : 3;
const WARM: WorkloadSize = { stories: 300, updates: 1_500, purges: 30 };
const log = (msg: string) => process.stdout.write(`${msg}\n`);

/** Median of each figure over runs. */
export function medians(samples: readonly Figures[]): Figures {
  const out: Figures = {};
  for (const key of Object.keys(samples[0] ?? {})) {
    const xs = samples.map((s) => s[key]!).filter((x) => x !== undefined).sort((a, b) => a - b);
    const mid = xs.length >> 1;
    out[key] = xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  }
  return out;
}

function peerFigures(r: EngineRun): Figures {
  return { applyEditsPerSec: r.edits / (r.applyMs / 1000), mergeMs: r.mergeMs, encodedBytes: r.encodedBytes, loadMs: r.loadMs, stories: r.stories, ...r.extra };
}

/** Loads an encoding in a fresh process (bench/memory-child.ts) and returns its memory figures. */
function probeMemory(engine: string, encoded: Uint8Array): Figures {
  const file = join(tmpdir(), `huskies-bench-${process.pid}-${engine}.bin`);
  writeFileSync(file, encoded);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, 'memory-child.ts'), engine, file], { encoding: 'utf8' });
  return JSON.parse(out) as Figures;
}

async function main(): Promise<void> {
  const started = performance.now();
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const result: BenchResult = {
    date: new Date().toISOString().slice(0, 10),
    mode: quick ? 'quick' : size === FULL ? 'full' : `${size.stories}-${size.updates}-${size.purges}`,
    size,
    edits: editCount(size),
    runs,
    machine: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, loadavg: loadavg() },
    engines: {},
    samples: {},
    memory: {},
    limits: {},
    notes: [],
  };
  const encodings: Record<string, Uint8Array> = {};

  // noble signs ~1 ms a signature: time it on author 0's share only (a third of the edits).
  const nobleAuthors = 1;
  const peers = await Promise.all(PEERS.map((name) => loadEngine(name)));
  log(`warm-up of every engine, then ${runs} rounds of ${result.edits} edits, one run of each engine per round`);
  await huskiesRun(WARM, { nobleAuthors });
  for (const engine of peers) await engine.run(WARM);
  // Round by round rather than engine by engine: a machine whose load drifts
  // during the bench then shifts every engine's figures alike, not one engine's.
  const samples: Record<string, Figures[]> = { huskies: [], ...Object.fromEntries(PEERS.map((name) => [name, []])) };
  for (let i = 0; i < runs; i++) {
    log(`round ${i + 1}`);
    gc();
    const r = await huskiesRun(size, { nobleAuthors });
    samples.huskies!.push(r.figures);
    encodings.huskies = r.encoded;
    log(`  huskies: ${JSON.stringify(round(r.figures))}`);
    for (const engine of peers) {
      gc();
      const p = await engine.run(size);
      samples[engine.name]!.push(peerFigures(p));
      encodings[engine.name] = p.encoded;
      log(`  ${engine.name}: ${JSON.stringify(round(peerFigures(p)))}`);
    }
  }
  for (const [name, xs] of Object.entries(samples)) {
    result.samples[name] = xs;
    result.engines[name] = medians(xs);
  }

  log('memory probes (one process per engine)');
  for (const name of ['huskies', ...PEERS]) {
    result.memory[name] = probeMemory(name, encodings[name]!);
    log(`  ${name}: ${JSON.stringify(round(result.memory[name]!))}`);
  }

  log('limits: raw Ed25519 and SHA-256 rates');
  const lim: Figures[] = [];
  for (let i = 0; i < runs; i++) lim.push(await rawRates(quick ? 300 : 1_000));
  result.limits = medians(lim);
  log(`  ${JSON.stringify(round(result.limits))}`);

  log('relay load');
  result.relay = { ...(await runRelayLoad(quick ? { clients: 100, rooms: 10, messagesPerClient: 5, deadlineMs: 10_000 } : {})) };
  log(`  ${JSON.stringify(result.relay)}`);

  log('storage');
  const n = quick ? 5_000 : 50_000;
  result.storage = {
    [`MemoryOpStore, ${n} ops`]: await benchStorage(new MemoryOpStore(), n),
    [`IdbOpStore on fake-indexeddb, ${quick ? 2_000 : 10_000} ops`]: await benchFakeIdb(quick ? 2_000 : 10_000),
  };
  const logOps = quick ? 4_000 : 100_000;
  log(`replica start-up from a ${logOps}-op log`);
  result.storage[`Replica start-up: replay of a ${logOps}-op board log to a ready replica (Node)`] = await benchReplicaOpen(logOps, runs);

  if (browser) {
    result.browser = await runBrowserBenches();
    if (failedBrowserBenches.length > 0) result.notes.push(`Browser benches that failed (see the log): ${failedBrowserBenches.join(', ')}.`);
  }
  else log(quick ? 'browser benches: skipped in --quick' : 'browser benches: skipped (pass --browser)');

  result.notes.push(
    'Edits = stories created + field updates + purges; every engine applies each edit as its own change/transaction/commit, so edits/s compare directly.',
    `huskies noble-signed rate is timed on author 0's share only (${quick ? 'quick' : 'full'} run) because noble signing takes about 1 ms.`,
    'Memory is measured in a fresh process per engine after loading the encoding; Automerge and Loro keep documents in wasm linear memory, which only the RSS row sees.',
  );
  const totalS = (performance.now() - started) / 1000;
  result.notes.push(`Whole bench took ${totalS.toFixed(0)} s.`);
  write(result);
  log(`done in ${totalS.toFixed(0)} s: bench/results/latest.md`);
}

const failedBrowserBenches: string[] = [];

/** Runs every bench/browser/*.ts (each exports `run(): Promise<Record<string, number>>`). */
async function runBrowserBenches(): Promise<Record<string, Figures>> {
  const dir = join(here, 'browser');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort() : [];
  if (files.length === 0) { log('browser benches: none registered in bench/browser/*.ts yet'); return {}; }
  const out: Record<string, Figures> = {};
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run?: () => Promise<Figures> };
    if (typeof mod.run !== 'function') { log(`browser bench ${f}: no exported run(), skipped`); continue; }
    log(`browser bench ${f}`);
    // One failing browser bench is reported, not allowed to lose the whole run's figures.
    try {
      out[f.replace(/\.ts$/, '')] = await mod.run();
    } catch (e) {
      log(`browser bench ${f} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      failedBrowserBenches.push(f);
    }
  }
  return out;
}

function write(r: BenchResult): void {
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  writeFileSync(join(dir, `${r.date}-${r.mode}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  writeFileSync(join(dir, 'latest.md'), markdown(r));
}

function round(f: Figures): Figures {
  const o: Figures = {};
  for (const [k, v] of Object.entries(f)) o[k] = typeof v === 'number' ? Math.round(v * 100) / 100 : v;
  return o;
}

await main();
