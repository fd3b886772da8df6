// The transport's share of a catch-up (issues 5/6): the bytes of the catch-up
// bench's 100,000-op room, as the sessions send them (128 KiB `ops` messages
// in 16 KiB frames), through one WebRTC data channel between two renderers of
// one Chromium, with no replica at either end: wall time and the CPU of every
// process per op. Once as they are and once deflated (SYNC19: zlib's default
// level, as CompressionStream writes). Medians of the runs.
//
//   node --import tsx bench/browser/transport-floor.ts
//   HUSKIES_FLOOR_RUNS=5 node --import tsx bench/browser/transport-floor.ts
import { readdirSync, readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { chromium, type Page } from '@playwright/test';
import { isSealFrame } from '../../src/core/index.js';
import { decodeLogFile } from '../../src/protocol/log-file.js';
import { cachedBackup } from '../../tests/e2e/perf/board-perf.js';
import { chromiumLaunchOptions } from '../../tests/e2e/support/browser.js';
import { treeCpuByProcess } from '../proc-cpu.js';

const RUNS = Number(process.env.HUSKIES_FLOOR_RUNS ?? 3);
const MESSAGE = 128 * 1024;
const FRAME = 16 * 1024 - 16;

/** The room's frames (ops and seals) packed into messages of ~128 KiB, deflated or not, cut into frames. */
function framesOf(room: readonly Uint8Array[], deflate: boolean): Buffer[] {
  const messages: Buffer[] = [];
  let run: Uint8Array[] = [];
  let size = 0;
  const close = () => { if (run.length > 0) messages.push(Buffer.concat(run)); run = []; size = 0; };
  for (const f of room) { run.push(f); size += f.length; if (size >= MESSAGE) close(); }
  close();
  const out: Buffer[] = [];
  for (const m of deflate ? messages.map((x) => deflateRawSync(x)) : messages) for (let i = 0; i < m.length; i += FRAME) out.push(m.subarray(i, i + FRAME));
  return out;
}


function browserPid(): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const c = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (c.includes('chrom') && c.includes('--remote-debugging-pipe') && !c.includes('--type=')) return Number(d);
    } catch { /* gone */ }
  }
  throw new Error('no browser process');
}

/** Figures: the room's size in MB, ops/s and CPU µs per op (every process), as they are and deflated. */
export async function run(): Promise<Record<string, number>> {
  const parsed = decodeLogFile(await cachedBackup({ stories: 50_000, ops: 100_000 }));
  if (!parsed.ok) throw new Error(parsed.reason);
  const ops = parsed.ops.filter((f) => !isSealFrame(f)).length;

  const browser = await chromium.launch(chromiumLaunchOptions());
  const root = browserPid();
  const pages: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.route('http://floor.local/**', (r) => r.fulfill({ body: '<html></html>', contentType: 'text/html' }));
    await page.goto('http://floor.local/');
    await page.evaluate(() => {
      const w = window as unknown as { pc: RTCPeerConnection; dc: RTCDataChannel };
      w.pc = new RTCPeerConnection({ iceServers: [] });
      w.dc = w.pc.createDataChannel('frames', { negotiated: true, id: 255 });
      w.dc.binaryType = 'arraybuffer';
    });
    pages.push(page);
  }
  const [a, b] = pages as [Page, Page];
  // Offer and answer with every candidate in them (no trickling: iceServers is empty, gathering is quick).
  const offer = await a.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') await new Promise<void>((r) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; });
    return pc.localDescription!.sdp;
  });
  const answer = await b.evaluate(async (sdp) => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') await new Promise<void>((r) => { pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; });
    return pc.localDescription!.sdp;
  }, offer);
  await a.evaluate((sdp) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }), answer);
  for (const p of pages) {
    await p.evaluate(() => new Promise<void>((r) => {
      const dc = (window as unknown as { dc: RTCDataChannel }).dc;
      if (dc.readyState === 'open') r(); else dc.onopen = () => r();
    }));
  }

  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  const result: Record<string, number> = { ops };
  for (const deflate of [false, true]) {
    const frames = framesOf(parsed.ops, deflate);
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    // The frames go to A's page as one buffer with 2-byte lengths, and are cut there.
    const packed = Buffer.concat(frames.flatMap((f) => [Buffer.from([f.length >> 8, f.length & 0xff]), f]));
    await a.route('http://floor.local/data', (r) => r.fulfill({ body: packed, contentType: 'application/octet-stream' }));
    await a.evaluate(async () => {
      const all = new Uint8Array(await (await fetch('/data')).arrayBuffer());
      const frames: Uint8Array[] = [];
      for (let i = 0; i < all.length;) { const n = (all[i]! << 8) | all[i + 1]!; frames.push(all.slice(i + 2, i + 2 + n)); i += 2 + n; }
      (window as unknown as { frames2: Uint8Array[] }).frames2 = frames;
    });
    await a.unroute('http://floor.local/data');
    const rates: number[] = [];
    const cpus: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const received = b.evaluate((total) => new Promise<number>((resolve) => {
        const dc = (window as unknown as { dc: RTCDataChannel }).dc;
        let got = 0;
        dc.onmessage = (e) => { got += (e.data as ArrayBuffer).byteLength; if (got >= total) resolve(got); };
      }), bytes);
      const c0 = treeCpuByProcess(root, 'browser');
      const t0 = performance.now();
      // A string: tsx names the functions it compiles (__name), which the page does not have.
      await a.evaluate(`new Promise((resolve) => {
        let i = 0;
        dc.bufferedAmountLowThreshold = 128 * 1024;
        dc.onbufferedamountlow = () => pump();
        function pump() {
          while (i < frames2.length && dc.bufferedAmount < 256 * 1024) dc.send(frames2[i++]);
          if (i >= frames2.length) resolve();
        }
        pump();
      })`);
      await received;
      const ms = performance.now() - t0;
      const c1 = treeCpuByProcess(root, 'browser');
      let cpu = 0;
      const parts: string[] = [];
      for (const [pid, p] of c1) {
        const d = p.cpu - (c0.get(pid)?.cpu ?? 0);
        cpu += d;
        if (d > 20) parts.push(`${p.label} ${Math.round((d * 1000) / ops)}`);
      }
      rates.push(ops / (ms / 1000));
      cpus.push((cpu * 1000) / ops);
      console.error(`[floor] ${deflate ? 'deflated' : 'as they are'}: ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms = ${Math.round(ops / (ms / 1000))} ops/s, ${((bytes / ms) / 1000).toFixed(1)} MB/s; CPU ${Math.round((cpu * 1000) / ops)} µs/op (${parts.join(', ')})`);
    }
    const key = deflate ? 'deflated' : 'plain';
    result[`${key}MB`] = Math.round(bytes / 1e5) / 10;
    result[`${key}OpsPerSec`] = Math.round(median(rates));
    result[`${key}CpuUsPerOp`] = Math.round(median(cpus));
  }
  await browser.close();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await run(), null, 2));
}
