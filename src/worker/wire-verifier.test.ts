// The WireVerifier port: ids and per-op verdicts from raw frames, in this
// thread and through a (fake, in-process) verifier worker, agree with the
// core's own decoding and noble ZIP215 verification (CORE2, CORE8).
import { describe, expect, test } from 'vitest';
import { Document, ROOT, decodeOp, toHex, type Op } from '../core/index.js';
import { KEYS, authorOf, idOf, signBody } from '../../tests/support/core-fixtures.js';
import { encodeBody } from '../core/index.js';
import {
  InlineWireVerifier, LazyWireVerifier, WorkerWireVerifier, checkPacked, CryptoKeyCache, frameIds,
  type VerifyReply, type VerifyRequest, type WireVerifier, type WorkerLike,
} from './wire-verifier.js';

function someOps(n: number): Op[] {
  const doc = new Document();
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) ops.push(doc.change(KEYS.alice, [{ type: 'set', obj: ROOT, key: `k${i}`, value: i }]));
  return ops;
}

/** A frame whose author is the identity point and whose signature is (identity, 0): valid only under ZIP215. */
function zip215OnlyFrame(): Uint8Array {
  const identity = new Uint8Array(32); identity[0] = 1;
  const body = encodeBody({ author: toHex(identity), seq: 1, lamport: 1, prev: null, deps: [] }, [{ type: 'set', obj: ROOT, key: 'x', value: 1 }]);
  const sig = new Uint8Array(64); sig.set(identity);
  const out = new Uint8Array(body.length + 64); out.set(body); out.set(sig, body.length);
  return out;
}

/** A worker that runs the verifier worker's code in this process, replying on a later microtask. */
class InProcessWorker implements WorkerLike {
  /** 'crash' fires an error event; 'fail' answers every batch with a failure message. */
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  posted = 0;
  private readonly keys = new CryptoKeyCache(crypto.subtle);
  constructor(private readonly mode: 'ok' | 'crash' | 'fail' = 'ok') {}
  postMessage(message: unknown): void {
    this.posted++;
    const m = message as VerifyRequest;
    if (this.mode === 'crash') { queueMicrotask(() => this.onerror?.(new Error('worker crashed'))); return; }
    if (this.mode === 'fail') { queueMicrotask(() => this.onmessage?.({ data: { id: m.id, failed: true } })); return; }
    void checkPacked({ bytes: m.bytes, ends: m.ends }, crypto.subtle, this.keys, m.known).then((v) => {
      const reply: VerifyReply = { id: m.id, ids: v.ids, flags: v.flags };
      this.onmessage?.({ data: reply });
    });
  }
  terminate(): void {}
}

const engines: [string, () => WireVerifier][] = [
  ['inline noble', () => new InlineWireVerifier()],
  ['inline webcrypto', () => new InlineWireVerifier(crypto.subtle)],
  ['verifier worker', () => new WorkerWireVerifier(new InProcessWorker(), new InlineWireVerifier(crypto.subtle))],
  ['crashed verifier worker', () => new WorkerWireVerifier(new InProcessWorker('crash'), new InlineWireVerifier())],
  ['verifier worker that reports a failure', () => new WorkerWireVerifier(new InProcessWorker('fail'), new InlineWireVerifier())],
];

describe.each(engines)('WireVerifier (%s)', (_name, make) => {
  test('[REPL14][CORE2][CORE8] ids are SHA-256 of the bodies and honest signatures verify', async () => {
    const ops = someOps(5);
    const v = await make().check(ops.map((o) => o.bytes));
    expect(v.ids).toEqual(ops.map((o) => o.id));
    expect(v.valid).toEqual([true, true, true, true, true]);
  });

  test('[REPL14][CORE8] each frame is judged on its own signature: tampered, forged and foreign-signed frames fail', async () => {
    const [a, b] = someOps(2) as [Op, Op];
    const tampered = a.bytes.slice(); tampered[tampered.length - 70]! ^= 1; // a body byte: new id, old signature
    const badSig = b.bytes.slice(); badSig[badSig.length - 1]! ^= 1;
    const body = b.bytes.subarray(0, b.bytes.length - 64);
    const foreign = signBody(KEYS.mallory, body); // mallory signs alice's body
    const v = await make().check([a.bytes, tampered, badSig, foreign, b.bytes]);
    expect(v.valid).toEqual([true, false, false, false, true]);
    expect(v.ids[1]).toBe(idOf(tampered.subarray(0, tampered.length - 64)));
    expect(v.ids[3]).toBe(b.id);
  });

  test('[REPL14][REPL16] with the caller\'s own ids (frameIds) the verdicts are the same; a signature is checked over the id given', async () => {
    const ops = someOps(4);
    const frames = [...ops.map((o) => o.bytes), new Uint8Array(10)];
    const { hex, raw } = frameIds(frames);
    expect(hex).toEqual([...ops.map((o) => o.id), undefined]);
    const v = await make().check(frames, raw);
    expect(v.ids).toEqual(hex);
    expect(v.valid).toEqual([true, true, true, true, false]);
    const swapped = raw.slice(); swapped.set(raw.subarray(0, 32), 32); // frame 1 given frame 0's id
    expect((await make().check(frames, swapped)).valid).toEqual([true, false, true, true, false]);
  });

  test('[REPL14][CORE8c] a signature only ZIP215 accepts is accepted (WebCrypto refusals are re-judged by noble)', async () => {
    const v = await make().check([zip215OnlyFrame()]);
    expect(v.valid).toEqual([true]);
  });

  test('[REPL14][CORE7] frames that cannot be ops get no id and no verdict, never a throw', async () => {
    const v = await make().check([new Uint8Array(0), new Uint8Array(96), new Uint8Array(64 * 1024 + 1)]);
    expect(v.ids).toEqual([undefined, undefined, undefined]);
    expect(v.valid).toEqual([false, false, false]);
  });

  test('[REPL14][REPL3] batches checked at once each get their own answers', async () => {
    const ops = someOps(6);
    const w = make();
    const [x, y] = await Promise.all([w.check(ops.slice(0, 3).map((o) => o.bytes)), w.check(ops.slice(3).map((o) => o.bytes))]);
    expect([...x.ids, ...y.ids]).toEqual(ops.map((o) => o.id));
  });
});

test('[REPL14] a verifier worker answers by frame; its ids match the core decoder', async () => {
  const worker = new InProcessWorker();
  const w = new WorkerWireVerifier(worker, new InlineWireVerifier());
  const ops = someOps(3);
  const v = await w.check(ops.map((o) => o.bytes));
  expect(worker.posted).toBe(1);
  for (let i = 0; i < 3; i++) expect(decodeOp(ops[i]!.bytes, v.ids[i])).toMatchObject({ ok: true, op: { id: ops[i]!.id, author: authorOf(KEYS.alice) } });
});

describe('LazyWireVerifier', () => {
  test('[APP13] makes its verifier on the first check only, then checks through it; close closes it', async () => {
    const frames = someOps(3).map((o) => o.bytes);
    let made = 0;
    let closed = 0;
    const inline = new InlineWireVerifier(globalThis.crypto.subtle);
    const lazy = new LazyWireVerifier('lazy', () => { made++; return { name: 'inner', check: (f) => inline.check(f), close: () => { closed++; } }; });
    expect(made).toBe(0);
    expect(lazy.name).toBe('lazy');
    const verdicts = await lazy.check(frames);
    expect(lazy.name).toBe('inner');
    expect(verdicts).toEqual(await inline.check(frames));
    await lazy.check(frames);
    expect(made).toBe(1);
    lazy.close();
    expect(closed).toBe(1);
    await expect(lazy.check(frames)).rejects.toThrow('closed');
    // Closed before any use: nothing is made.
    const unused = new LazyWireVerifier('lazy', () => { made++; return inline; });
    unused.close();
    expect(made).toBe(1);
  });
});
