// Turns a bench result into the Markdown table of bench/results/latest.md and
// docs/BENCHMARKS.md: rows = figures, columns = huskies, Yjs, Automerge, Loro,
// and each huskies figure as a ratio to each peer's (huskies ÷ peer).
import { PEERS } from './engines/index.js';

export type Figures = Record<string, number>;

export interface BenchResult {
  date: string;
  mode: string;
  size: { stories: number; updates: number; purges: number };
  edits: number;
  runs: number;
  machine: { node: string; platform: string; cpus: number; loadavg: number[] };
  /** Medians per engine: huskies and each peer. */
  engines: Record<string, Figures>;
  /** Every timed run, per engine, for the record. */
  samples: Record<string, Figures[]>;
  memory: Record<string, Figures>;
  limits: Figures;
  relay?: Record<string, number>;
  storage?: Record<string, Figures>;
  browser?: Record<string, Figures>;
  notes: string[];
}

interface Row { label: string; unit: string; huskies: (r: BenchResult) => number | undefined; peer: (r: BenchResult, p: string) => number | undefined; better: 'higher' | 'lower' }

const eng = (key: string) => (r: BenchResult, p = 'huskies') => r.engines[p]?.[key];
const mem = (key: string) => (r: BenchResult, p = 'huskies') => r.memory[p]?.[key];
const kib = (key: string) => (r: BenchResult, p = 'huskies') => { const v = r.engines[p]?.[key]; return v === undefined ? undefined : v / 1024; };

const ROWS: Row[] = [
  { label: 'Local apply, huskies unsigned (prepare + commit, dummy signature)', unit: 'edits/s', huskies: eng('applyUnsignedEditsPerSec'), peer: eng('applyEditsPerSec'), better: 'higher' },
  { label: 'Local apply, huskies signed with noble', unit: 'edits/s', huskies: eng('applyNobleEditsPerSec'), peer: eng('applyEditsPerSec'), better: 'higher' },
  { label: 'Local apply, huskies signed with WebCrypto', unit: 'edits/s', huskies: eng('applyWebCryptoEditsPerSec'), peer: eng('applyEditsPerSec'), better: 'higher' },
  { label: 'Merge of the 3 replicas, huskies verified (WebCrypto)', unit: 'ms', huskies: eng('mergeVerifiedMs'), peer: eng('mergeMs'), better: 'lower' },
  { label: 'Merge of the 3 replicas, huskies verified on seals (one WebCrypto verification per 256 ops)', unit: 'ms', huskies: eng('mergeSealedMs'), peer: eng('mergeMs'), better: 'lower' },
  { label: 'Merge of the 3 replicas, huskies unverified (replay)', unit: 'ms', huskies: eng('mergeReplayMs'), peer: eng('mergeMs'), better: 'lower' },
  { label: 'Encoded history', unit: 'KiB', huskies: kib('encodedBytes'), peer: kib('encodedBytes'), better: 'lower' },
  { label: 'Load from that encoding', unit: 'ms', huskies: eng('loadMs'), peer: eng('loadMs'), better: 'lower' },
  { label: 'JS heap after load (heapUsed Δ)', unit: 'MiB', huskies: mem('heapMb'), peer: mem('heapMb'), better: 'lower' },
  { label: 'Off-heap buffers after load (external Δ)', unit: 'MiB', huskies: mem('externalMb'), peer: mem('externalMb'), better: 'lower' },
  { label: 'RSS after load (Δ, includes wasm memory)', unit: 'MiB', huskies: mem('rssMb'), peer: mem('rssMb'), better: 'lower' },
];

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratio(h: number | undefined, p: number | undefined): string {
  if (h === undefined || p === undefined || !Number.isFinite(h) || !Number.isFinite(p) || p === 0) return '—';
  const x = h / p;
  return `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)}×`;
}

/** The comparison table (Markdown). */
export function comparisonTable(r: BenchResult): string {
  const head = `| figure | unit | huskies | ${PEERS.join(' | ')} | huskies ÷ ${PEERS.join(' · ')} |`;
  const sep = `|---|---|--:|${PEERS.map(() => '--:').join('|')}|---|`;
  const lines = ROWS.map((row) => {
    const h = row.huskies(r);
    const peers = PEERS.map((p) => row.peer(r, p));
    const ratios = PEERS.map((p, i) => `${ratio(h, peers[i])} ${p}`).join(' · ');
    const arrow = row.better === 'higher' ? '↑' : '↓';
    return `| ${row.label} | ${row.unit} ${arrow} | ${fmt(h)} | ${peers.map(fmt).join(' | ')} | ${ratios} |`;
  });
  return [head, sep, ...lines].join('\n');
}

/** The limits table: raw crypto rates and how close signed local edits get to them. */
export function limitsTable(r: BenchResult): string {
  const l = r.limits;
  const h = r.engines.huskies ?? {};
  const pct = (a?: number, b?: number) => (a && b ? `${((a / b) * 100).toFixed(0)} %` : '—');
  const rows: [string, number | undefined, string][] = [
    ['Ed25519 sign, noble (sync)', l.nobleSignPerSec, `signed noble edits reach ${pct(h.applyNobleEditsPerSec, l.nobleSignPerSec)} of it`],
    ['Ed25519 sign, WebCrypto, one at a time (await each)', l.webcryptoSignSequentialPerSec, `signed WebCrypto edits reach ${pct(h.applyWebCryptoEditsPerSec, l.webcryptoSignSequentialPerSec)} of it`],
    ['Ed25519 sign, WebCrypto, 100 in flight', l.webcryptoSignPerSec, `signed WebCrypto edits reach ${pct(h.applyWebCryptoEditsPerSec, l.webcryptoSignPerSec)} of it`],
    ['Ed25519 verify, noble (ZIP215)', l.nobleVerifyPerSec, ''],
    ['Ed25519 verify, WebCrypto, 100 in flight', l.webcryptoVerifyPerSec, ''],
    ['SHA-256 of 200 bytes, the core\'s own (src/core/hash.ts)', l.sha256PerSec, ''],
  ];
  return ['| limit | per second | note |', '|---|--:|---|', ...rows.map(([a, v, n]) => `| ${a} | ${fmt(v)} | ${n} |`)].join('\n');
}

function recordTable(title: string, rec: Record<string, number> | undefined): string {
  if (!rec) return '';
  return [`| ${title} | value |`, '|---|--:|', ...Object.entries(rec).map(([k, v]) => `| ${k} | ${fmt(v)} |`)].join('\n');
}

/** The whole latest.md. */
export function markdown(r: BenchResult): string {
  const s = r.size;
  const parts = [
    `# Benchmark results — ${r.mode} run, ${r.date}`,
    '',
    `Board workload: ${s.stories.toLocaleString('en-US')} stories, ${s.updates.toLocaleString('en-US')} field updates, ${s.purges.toLocaleString('en-US')} purges ` +
      `(${r.edits.toLocaleString('en-US')} edits) by 3 authors on 3 replicas, then merged. Medians of ${r.runs} runs after a warm-up; ` +
      `Node ${r.machine.node}, ${r.machine.cpus} CPUs, load average at start ${r.machine.loadavg.map((x) => x.toFixed(1)).join(' / ')}. ` +
      'Method: docs/BENCHMARKS.md. ↑ = higher is better, ↓ = lower is better; the last column is huskies ÷ peer.',
    '',
    comparisonTable(r),
    '',
    '## Limits',
    '',
    limitsTable(r),
  ];
  if (r.relay) parts.push('', '## Relay load', '', recordTable('relay', r.relay));
  if (r.storage) for (const [k, v] of Object.entries(r.storage)) parts.push('', `## Storage: ${k}`, '', recordTable(k, v));
  if (r.browser) for (const [k, v] of Object.entries(r.browser)) parts.push('', `## Browser: ${k}`, '', recordTable(k, v));
  if (r.notes.length) parts.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return parts.join('\n') + '\n';
}
