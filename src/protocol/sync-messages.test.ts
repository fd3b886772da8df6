import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { seededBytes } from '../../tests/support/manual-clock.js';
import {
  ChunkAssembler, decodeMessage, deflateMessage, encodeFrames, encodeMessage, MAX_FRAME_BYTES, MAX_HEADS, MAX_MESSAGE_BYTES,
  messageFrames, type ChunkMessage, type SyncMessage,
} from './sync-messages';

const id = (n: number) => n.toString(16).padStart(64, '0');
const op = (n: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (n + i) & 0xff);

const samples: SyncMessage[] = [
  { type: 'hello', replicaId: 'tab-1', versionVector: [], heads: [] },
  { type: 'hello', replicaId: 'réplica ✓', name: 'Ada', versionVector: [[id(1), 5], [id(2), 2 ** 40]], heads: [id(3), id(4)] },
  { type: 'ops', ops: [op(1, 100), op(2, 1)] },
  { type: 'ops', ops: [] },
  { type: 'want', ids: [id(9)] },
  { type: 'heads', heads: [id(5), id(6), id(7)] },
  { type: 'presence', name: 'Ada', state: '{"cursor":3}' },
  { type: 'bye', reason: 'slow peer' },
  { type: 'chunk', msgId: 77, index: 1, count: 3, bytes: op(4, 50) },
  { type: 'caps', features: 1 },
  { type: 'caps', features: 2 ** 40 + 5 },
];

describe('sync messages', () => {
  test('[SYNC4] every message round-trips', () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, msg: m });
  });

  test('[SYNC4] decoded ops own their bytes: changing the frame later does not reach them', () => {
    const frame = encodeMessage({ type: 'ops', ops: [op(1, 100), op(2, 30), op(3, 1)] });
    const d = decodeMessage(frame);
    if (!d.ok || d.msg.type !== 'ops') throw new Error('expected ops');
    frame.fill(0xee);
    expect(d.msg.ops).toEqual([op(1, 100), op(2, 30), op(3, 1)]);
  });

  test('[SYNC3] ops of a reassembled message are views of the reassembled bytes, not of any frame', () => {
    const ops = Array.from({ length: 40 }, (_, i) => op(i, 1000));
    const frames = encodeFrames({ type: 'ops', ops }, 5);
    expect(frames.length).toBeGreaterThan(1);
    const a = new ChunkAssembler();
    let msg: SyncMessage | undefined;
    for (const f of frames) {
      const d = decodeMessage(f);
      if (!d.ok || d.msg.type !== 'chunk') throw new Error('expected a chunk');
      const r = a.push(d.msg);
      if (!r.ok) throw new Error(r.reason);
      msg = r.msg ?? msg;
      f.fill(0xee);
    }
    if (msg?.type !== 'ops') throw new Error('expected ops');
    expect(msg.ops).toEqual(ops);
  });

  test('[SYNC4] first byte is the version, second the type', () => {
    expect([...encodeMessage({ type: 'bye', reason: '' })]).toEqual([1, 6, 0]);
  });

  test('[SYNC4] malformed frames give a reason and never throw', () => {
    const cases: [unknown, RegExp][] = [
      ['text', /not bytes/], [null, /not bytes/], [[1, 2], /not bytes/], [new Uint8Array(0), /truncated/],
      [new Uint8Array([2, 1]), /version/], [new Uint8Array([1, 42]), /unknown message type/],
      [new Uint8Array([1, 6, 0, 0]), /trailing/], [new Uint8Array([1, 6, 5, 65]), /truncated/],
      [new Uint8Array([1, 6, 2, 0xc3, 0x28]), /UTF-8/], [new Uint8Array([1, 3, 0x80, 0x00]), /non-canonical/],
      [new Uint8Array(MAX_FRAME_BYTES + 1).fill(1), /exceeds/],
      [new Uint8Array([1, 3, 0xe9, 0x07]), /exceed/], // 1001 wanted ids
      [new Uint8Array([1, 2, 1, 0]), /empty op/],
      [new Uint8Array([1, 7, 1, 0, 1, 9]), /chunk count/],
      [new Uint8Array([1, 7, 1, 3, 2, 9]), /index past/],
      [new Uint8Array([1, 1, 0, 0, 0, 0]), /empty replica id/],
    ];
    for (const [frame, reason] of cases) {
      const d = decodeMessage(frame);
      expect(d.ok, String(frame)).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    }
    const dupAuthor = encodeMessage({ type: 'hello', replicaId: 'x', versionVector: [[id(1), 1], [id(2), 1]], heads: [] });
    dupAuthor.set(dupAuthor.subarray(6, 38), 39); // second author := first
    expect(decodeMessage(dupAuthor)).toMatchObject({ ok: false, reason: /duplicate author/ });
    const dupHead = encodeMessage({ type: 'heads', heads: [id(1), id(2)] });
    dupHead.set(dupHead.subarray(3, 35), 35);
    expect(decodeMessage(dupHead)).toMatchObject({ ok: false, reason: /duplicate id/ });
  });

  test('[SYNC4] every truncation of every message is rejected without throwing', () => {
    for (const m of samples) {
      if (m.type === 'chunk') continue; // a shorter chunk is still a chunk
      const bytes = encodeMessage(m);
      for (let n = 0; n < bytes.length; n++) expect(decodeMessage(bytes.subarray(0, n)).ok).toBe(false);
    }
  });

  test('[SYNC4] random and mutated bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { decodeMessage(b); }), { seed: 42, numRuns: 2000 });
    fc.assert(fc.property(fc.nat(samples.length - 1), fc.nat(), fc.nat(255), (i, pos, v) => {
      const b = encodeMessage(samples[i]!);
      b[pos % b.length] = v;
      const d = decodeMessage(b);
      if (d.ok) encodeMessage(d.msg); // whatever decodes must re-encode
    }), { seed: 7, numRuns: 3000 });
  });

  test('[SYNC4] encoding over a cap is misuse and throws', () => {
    expect(() => encodeMessage({ type: 'heads', heads: Array.from({ length: MAX_HEADS + 1 }, (_, i) => id(i)) })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'want', ids: ['nothex'] })).toThrow(TypeError);
    expect(() => encodeMessage({ type: 'ops', ops: [op(0, 64 * 1024 + 1)] })).toThrow(RangeError);
  });
});

describe('deflated ops (SYNC19)', () => {
  /** Ops that deflate as a board's do: the same keys and words again and again, with random ids between. */
  const boardOps = (n: number) => Array.from({ length: n }, (_, i) => {
    const text = new TextEncoder().encode(`{"title":"story ${i % 50}","stage":"backlog","criteria":["done"]}`);
    const bytes = new Uint8Array(64 + text.length);
    bytes.set(op(i * 7, 64));
    bytes.set(text, 64);
    return bytes;
  });

  test('[SYNC19] deflateMessage deflates an ops message, and it decodes to the same ops', async () => {
    const msg = { type: 'ops' as const, ops: boardOps(200) };
    const plain = encodeMessage(msg);
    const packed = await deflateMessage(plain);
    expect(packed[1]).toBe(9);
    expect(packed.length).toBeLessThan(plain.length / 2);
    const frames = messageFrames(packed, 3);
    const a = new ChunkAssembler();
    let got: unknown;
    for (const f of frames) {
      const d = decodeMessage(f);
      if (!d.ok) throw new Error(d.reason);
      got = d.msg.type === 'chunk' ? a.push(d.msg) : { ok: true, msg: d.msg };
    }
    expect(got).toEqual({ ok: true, msg });
    // As it is when deflating does not shrink it.
    const noise = { type: 'ops' as const, ops: [seededBytes(7)(4000)] }; // seeded bytes that do not deflate
    expect(await deflateMessage(encodeMessage(noise))).toEqual(encodeMessage(noise));
  });

  test('[SYNC19] a deflated message must hold one ops message within the cap; anything else is a bad frame with a reason', () => {
    const deflated = (inner: Uint8Array) => encodeMessage({ type: 'deflated', bytes: new Uint8Array(deflateRawSync(inner)) });
    const reason = (frame: Uint8Array) => { const d = decodeMessage(frame, { maxBytes: MAX_MESSAGE_BYTES }); return d.ok ? 'ok' : d.reason; };
    expect(reason(deflated(encodeMessage({ type: 'want', ids: [id(1)] })))).toBe('deflated: holds a message that is not ops');
    expect(reason(deflated(encodeMessage({ type: 'deflated', bytes: Uint8Array.of(3, 0) })))).toBe('deflated: holds a message that is not ops');
    expect(reason(deflated(Uint8Array.of(7, 2, 0)))).toBe('deflated: unknown protocol version 7');
    expect(reason(deflated(Uint8Array.of(1)))).toBe('deflated: truncated message');
    expect(reason(deflated(Uint8Array.of(1, 2, 0, 0)))).toBe('deflated: trailing bytes');
    expect(reason(deflated(Uint8Array.of(1, 2, 1, 5, 1)))).toBe('truncated');
    expect(reason(encodeMessage({ type: 'deflated', bytes: Uint8Array.of(0xff, 0xff) }))).toMatch(/^deflated: /);
    expect(reason(Uint8Array.of(1, 9))).toBe('empty deflated message');
    // A bomb: 64 MB of zeros in an ops message, deflated to ~64 KB, stops at the 1 MiB cap.
    const bomb = new Uint8Array(deflateRawSync(new Uint8Array(64 << 20), { level: 9 }));
    expect(reason(encodeMessage({ type: 'deflated', bytes: bomb }))).toBe(`deflated: inflates past ${MAX_MESSAGE_BYTES} bytes`);
  });
});

describe('chunking', () => {
  const reassemble = (frames: Uint8Array[], asm = new ChunkAssembler()) => {
    let out: SyncMessage | undefined;
    for (const f of frames) {
      const d = decodeMessage(f);
      expect(d.ok).toBe(true);
      if (!d.ok) return undefined;
      if (d.msg.type !== 'chunk') return d.msg;
      const r = asm.push(d.msg);
      expect(r.ok).toBe(true);
      if (r.ok && r.msg) out = r.msg;
    }
    return out;
  };

  test('[SYNC3] a message over 16 KiB becomes chunk frames ≤ 16 KiB that reassemble', () => {
    const big: SyncMessage = { type: 'ops', ops: [op(1, 60_000), op(2, 20_000)] };
    const frames = encodeFrames(big, 5);
    expect(frames.length).toBe(5);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(reassemble(frames)).toEqual(big);
    const small: SyncMessage = { type: 'bye', reason: 'x' };
    expect(encodeFrames(small, 6)).toEqual([encodeMessage(small)]);
  });

  test('[SYNC3] a hello with 10k authors fits the message cap in chunks', () => {
    const hello: SyncMessage = { type: 'hello', replicaId: 'r', versionVector: Array.from({ length: 10_000 }, (_, i) => [id(i), i + 1]), heads: [] };
    const frames = encodeFrames(hello, 1);
    expect(frames.length).toBeGreaterThan(20);
    expect(reassemble(frames)).toEqual(hello);
  });

  test('[SYNC3] reassembly caps: order, restarts, concurrency, total size, no nesting', () => {
    const chunk = (msgId: number, index: number, count: number, bytes: Uint8Array = op(1, 10)): ChunkMessage => ({ type: 'chunk', msgId, index, count, bytes });
    const asm = new ChunkAssembler(1000, 2);
    expect(asm.push(chunk(1, 1, 3))).toMatchObject({ ok: false, reason: /unknown message/ });
    expect(asm.push(chunk(1, 0, 3)).ok).toBe(true);
    expect(asm.push(chunk(1, 2, 3))).toMatchObject({ ok: false, reason: /out of order/ });
    expect(asm.pending).toBe(0);
    asm.push(chunk(1, 0, 3));
    expect(asm.push(chunk(1, 0, 3))).toMatchObject({ ok: false, reason: /restarted/ });
    asm.push(chunk(2, 0, 3));
    asm.push(chunk(3, 0, 3));
    expect(asm.push(chunk(4, 0, 3))).toMatchObject({ ok: false, reason: /too many/ });
    expect(asm.push(chunk(2, 1, 3, op(0, 995)))).toMatchObject({ ok: false, reason: /exceeds 1000/ });
    const inner = encodeMessage(chunk(9, 0, 2));
    const nested = encodeFrames({ type: 'ops', ops: [] }, 0)[0]!;
    const asm2 = new ChunkAssembler();
    asm2.push(chunk(5, 0, 2, inner.subarray(0, 4)));
    expect(asm2.push(chunk(5, 1, 2, inner.subarray(4)))).toMatchObject({ ok: false, reason: /chunk inside/ });
    expect(nested.length).toBeLessThan(10);
    expect(MAX_MESSAGE_BYTES).toBe(1024 * 1024);
  });
});
