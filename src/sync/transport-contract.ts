// The Transport contract suite (STYLE rule 3, TRANSPORT1–TRANSPORT7): every
// adapter runs every case. Framework-free on purpose — a local assert and no
// vitest import — like src/storage/op-store-contract.ts, so the same cases can
// run inside a real Chromium page (for the WebRTC adapter).
//
// `makePair` contract: each call returns two FRESH, connected transports
// [a, b] (a.peerId names b's side and vice versa), delivering frames on their
// own (no manual flushing). Cases wait on events, never on timers.
import { MAX_TRANSPORT_FRAME_BYTES, TransportClosedError, type Transport } from './transport.js';

export type MakePair = () => Promise<[Transport, Transport]>;

export interface TransportContractCase {
  /** The SPEC rule id the case checks, e.g. 'TRANSPORT1'. */
  readonly rule: string;
  readonly name: string;
  run(makePair: MakePair): Promise<void>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`contract violated: ${message}`);
}

function frame(n: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (n * 131 + i * 7) & 0xff;
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Resolves with the first `n` frames `t` receives from now on. */
function collect(t: Transport, n: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = [];
    const off = t.onFrame((f) => {
      got.push(f);
      if (got.length === n) { off(); resolve(got); }
    });
  });
}

function closed(t: Transport): Promise<string> {
  return new Promise((resolve) => { t.onClose(resolve); });
}

/** A round trip through both directions: by the time it returns, earlier frames in both directions have arrived. */
async function roundTrip(a: Transport, b: Transport): Promise<void> {
  const echo = b.onFrame((f) => { if (f.length === 1 && f[0] === 0xee) b.send(f); });
  const back = collect(a, 1);
  a.send(new Uint8Array([0xee]));
  await back;
  echo();
}

export const transportContract: ReadonlyArray<TransportContractCase> = [
  {
    rule: 'TRANSPORT1',
    name: 'frames arrive in order and intact, both ways',
    async run(makePair) {
      const [a, b] = await makePair();
      const toB = collect(b, 50);
      const toA = collect(a, 50);
      for (let i = 0; i < 50; i++) { a.send(frame(i, 1 + i * 13)); b.send(frame(1000 + i, 1 + i)); }
      const gotB = await toB;
      const gotA = await toA;
      for (let i = 0; i < 50; i++) {
        assert(same(gotB[i]!, frame(i, 1 + i * 13)), `frame ${i} a→b differs or is out of order`);
        assert(same(gotA[i]!, frame(1000 + i, 1 + i)), `frame ${i} b→a differs or is out of order`);
      }
      a.close(); b.close();
    },
  },
  {
    rule: 'TRANSPORT1',
    name: 'the sender may reuse its buffer after send',
    async run(makePair) {
      const [a, b] = await makePair();
      const got = collect(b, 1);
      const buf = frame(7, 64);
      a.send(buf);
      buf.fill(0);
      assert(same((await got)[0]!, frame(7, 64)), 'frame changed after send');
      a.close();
    },
  },
  {
    rule: 'TRANSPORT2',
    name: 'a 16 KiB frame makes the round trip',
    async run(makePair) {
      const [a, b] = await makePair();
      const big = frame(3, MAX_TRANSPORT_FRAME_BYTES);
      const atB = collect(b, 1);
      a.send(big);
      const got = (await atB)[0]!;
      assert(same(got, big), '16 KiB frame differs at b');
      const atA = collect(a, 1);
      b.send(got);
      assert(same((await atA)[0]!, big), '16 KiB frame differs back at a');
      a.close();
    },
  },
  {
    rule: 'TRANSPORT3',
    name: 'close is seen by both sides, once, with the reason; frames sent before it arrive first',
    async run(makePair) {
      const [a, b] = await makePair();
      let aCloses = 0;
      a.onClose(() => { aCloses++; });
      const order: string[] = [];
      b.onFrame(() => order.push('frame'));
      const bClosed = new Promise<string>((resolve) => b.onClose((r) => { order.push('close'); resolve(r); }));
      a.send(frame(1, 10));
      a.close('done here');
      a.close('again');
      assert((await bClosed) === 'done here', 'b saw the reason');
      assert(order.join(',') === 'frame,close', `b saw ${order.join(',')}`);
      assert(a.closed && b.closed, 'both report closed');
      assert(aCloses === 1, `a's onClose fired ${aCloses} times`);
    },
  },
  {
    rule: 'TRANSPORT4',
    name: 'send after close throws TransportClosedError on both sides',
    async run(makePair) {
      const [a, b] = await makePair();
      const bClosed = closed(b);
      a.close();
      let threw: unknown;
      try { a.send(frame(1, 4)); } catch (e) { threw = e; }
      assert(threw instanceof TransportClosedError, 'local send after close throws TransportClosedError');
      await bClosed;
      threw = undefined;
      try { b.send(frame(1, 4)); } catch (e) { threw = e; }
      assert(threw instanceof TransportClosedError, 'remote send after close throws TransportClosedError');
    },
  },
  {
    rule: 'TRANSPORT5',
    name: 'unsubscribed listeners are not called',
    async run(makePair) {
      const [a, b] = await makePair();
      let stale = 0;
      let staleClose = 0;
      const off = b.onFrame(() => { stale++; });
      const offClose = b.onClose(() => { staleClose++; });
      off(); offClose();
      off(); // unsubscribing twice is harmless
      const got = collect(b, 3);
      for (let i = 0; i < 3; i++) a.send(frame(i, 8));
      await got;
      await roundTrip(a, b);
      assert(stale === 0, 'an unsubscribed frame listener was called');
      const bClosed = closed(b);
      a.close();
      await bClosed;
      assert(staleClose === 0, 'an unsubscribed close listener was called');
    },
  },
  {
    rule: 'TRANSPORT6',
    name: 'bufferedAmount is a byte count that returns to 0 once frames are delivered',
    async run(makePair) {
      const [a, b] = await makePair();
      let drains = 0;
      a.onDrain(() => { drains++; });
      const got = collect(b, 10);
      for (let i = 0; i < 10; i++) a.send(frame(i, 1000));
      const queued = a.bufferedAmount;
      assert(Number.isInteger(queued) && queued >= 0 && queued <= 10_000, `bufferedAmount ${queued} is not a byte count`);
      await got;
      await roundTrip(a, b);
      assert(a.bufferedAmount === 0, `bufferedAmount is ${a.bufferedAmount} after delivery`);
      assert(queued === 0 || drains > 0, 'a transport that buffered must fire onDrain');
      a.close();
    },
  },
  {
    rule: 'TRANSPORT7',
    name: 'peerId names the other side',
    async run(makePair) {
      const [a, b] = await makePair();
      assert(typeof a.peerId === 'string' && a.peerId.length > 0, 'a.peerId is a non-empty string');
      assert(typeof b.peerId === 'string' && b.peerId.length > 0, 'b.peerId is a non-empty string');
      assert(a.peerId !== b.peerId, 'the two ends name different peers');
      a.close();
    },
  },
];

/** One case's outcome when the suite runs outside vitest (a page, a worker). */
export interface ContractResult { readonly rule: string; readonly name: string; readonly error: string | null }

/** Runs every case in order (for browser contexts, which report results instead of failing a test). */
export async function runTransportContract(makePair: MakePair): Promise<ContractResult[]> {
  const results: ContractResult[] = [];
  for (const c of transportContract) {
    try {
      await c.run(makePair);
      results.push({ rule: c.rule, name: c.name, error: null });
    } catch (e) {
      results.push({ rule: c.rule, name: c.name, error: String(e) });
    }
  }
  return results;
}
