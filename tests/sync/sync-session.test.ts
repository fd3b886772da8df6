// Unit tests of the sync session over MemoryTransport (docs/SPEC.md).
import { describe, expect, test } from 'vitest';
import { Document, keyPairFromSeed, ROOT, type KeyPair, type LocalAction } from '../../src/core/index.js';
import { decodeMessage, encodeMessage, MAX_FRAME_BYTES } from '../../src/protocol/sync-messages.js';
import { createMemoryPair, type MemoryTransport } from '../../src/sync/memory-transport.js';
import { progressPercent, SyncSession, type SessionState, type SyncSessionOptions } from '../../src/sync/sync-session.js';
import { DocumentHost, memoVerifier } from './document-host.js';

const key = (n: number): KeyPair => keyPairFromSeed(new Uint8Array(32).fill(n));
const set = (k: string, value: string): LocalAction[] => [{ type: 'set', obj: ROOT, key: k, value }];
const verify = memoVerifier();
const host = (name: string, n: number) => new DocumentHost(name, key(n), verify);

function connect(a: DocumentHost, b: DocumentHost, manual = false, opts: SyncSessionOptions = {}) {
  const [ta, tb] = createMemoryPair(a.replicaId, b.replicaId, { manual });
  const sa = new SyncSession(a, ta, opts);
  const sb = new SyncSession(b, tb, opts);
  sa.start();
  sb.start();
  return { ta, tb, sa, sb };
}

/** Delivers everything both ways until nothing moves (manual pairs). */
async function settle(links: { ta: MemoryTransport; tb: MemoryTransport; sa: SyncSession; sb: SyncSession }[]): Promise<void> {
  for (let round = 0; round < 10_000; round++) {
    let moved = 0;
    for (const l of links) moved += l.ta.flush() + l.tb.flush();
    for (const l of links) { await l.sa.idle(); await l.sb.idle(); }
    if (moved === 0) return;
  }
  throw new Error('did not settle');
}

async function auto(...sessions: SyncSession[]): Promise<void> {
  for (let i = 0; i < 50; i++) { await Promise.resolve(); for (const s of sessions) await s.idle(); }
}

describe('sync session', () => {
  test('[SYNC1][SYNC2][SYNC12] two replicas with history converge and go live; states are reported', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    for (let i = 0; i < 20; i++) a.change(set(`a${i}`, 'x'));
    for (let i = 0; i < 15; i++) b.change(set(`b${i}`, 'y'));
    const l = connect(a, b, true);
    const states: SessionState[] = [];
    l.sa.onStateChange((s) => states.push(s));
    expect(l.sa.stats().state).toBe('connecting');
    await settle([l]);
    expect(a.doc.stateHash()).toBe(b.doc.stateHash());
    expect(a.opIds()).toEqual(b.opIds());
    expect(states).toEqual(['syncing', 'live']);
    expect(l.sa.stats()).toMatchObject({ sent: 20, received: 15, queued: 0, badFrames: 0, state: 'live', peerReplicaId: 'b' });
    // SYNC8: live edits flow after catch-up.
    b.change(set('late', 'z'));
    await settle([l]);
    expect(a.doc.toJson()).toMatchObject({ late: 'z' });
    l.sa.close('done');
    expect(states.at(-1)).toBe('closed');
    l.ta.flush(); // the bye and the close reach b
    expect(l.sb.stats()).toMatchObject({ state: 'closed', closeReason: 'peer said bye: done' });
  });

  test('[SYNC8] ops are relayed to other peers but never echoed to their origin', async () => {
    const [a, b, c] = [host('a', 1), host('b', 2), host('c', 3)];
    const ab = connect(a, b, true);
    const bc = connect(b, c, true);
    await settle([ab, bc]);
    a.change(set('k', 'v'));
    await settle([ab, bc]);
    expect(c.doc.toJson()).toMatchObject({ k: 'v' });
    expect(ab.sb.stats().sent).toBe(0); // b never sends a's op back to a
  });

  test('[SYNC5][SYNC6] equivocating forks (same author, same seq) reach both sides via heads/want', async () => {
    const evil = key(9);
    const base = new Document();
    const shared = [base.change(evil, set('s', '0')).bytes];
    const forkA = new Document(); forkA.replay(shared);
    const forkB = new Document(); forkB.replay(shared);
    const opA = forkA.change(evil, set('s', 'A'));
    const opB = forkB.change(evil, set('s', 'B'));
    expect(opA.seq).toBe(opB.seq);
    const p = host('p', 1);
    const q = host('q', 2);
    await p.receive([...shared, opA.bytes], 'evil');
    await q.receive([...shared, opB.bytes], 'evil');
    // the honest ones build on their forks, so the fork is buried under other heads
    p.change(set('p', '1'));
    q.change(set('q', '1'));
    expect(p.versionVector()).not.toEqual(q.versionVector());
    const l = connect(p, q, true);
    await settle([l]);
    expect(p.has(opB.id) && q.has(opA.id)).toBe(true);
    expect(p.doc.stateHash()).toBe(q.doc.stateHash());
  });

  test('[SYNC3] an op larger than one frame travels chunked', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    a.change(set('big', 'x'.repeat(30_000)));
    const l = connect(a, b, true);
    const sizes: number[] = [];
    const send = l.ta.send.bind(l.ta);
    l.ta.send = (f) => { sizes.push(f.length); send(f); };
    await settle([l]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(b.doc.toJson()).toMatchObject({ big: 'x'.repeat(30_000) });
  });

  test('[SYNC2][SYNC3] a large catch-up is streamed in frames ≤ 16 KiB as the transport drains', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    for (let i = 0; i < 300; i++) a.change(set(`k${i % 40}`, 'v'.repeat(200)));
    const l = connect(a, b, true, { highWaterBytes: 20_000 });
    await settle([]);
    l.tb.flush(); // b's hello reaches a
    await l.sa.idle();
    expect(l.ta.bufferedAmount).toBeLessThan(20_000 + MAX_FRAME_BYTES);
    expect(l.sa.stats().queued).toBeGreaterThan(0); // the rest waits for the drain
    await settle([l]);
    expect(b.opIds()).toEqual(a.opIds());
  });

  /** The message types (byte 1) of the frames a transport sends. */
  function frameTypes(t: MemoryTransport): number[] {
    const types: number[] = [];
    const send = t.send.bind(t);
    t.send = (f) => { types.push(f[1]!); send(f); };
    return types;
  }

  /** A holds 300 ops whose text repeats (a catch-up that deflates well), B none; sessions over a manual pair, their frame types recorded. */
  function repeatingCatchUp(bOptions: ConstructorParameters<typeof SyncSession>[2] = {}) {
    const a = host('a', 1);
    const b = host('b', 2);
    for (let i = 0; i < 300; i++) a.change(set(`story${i % 40}`, `a title that repeats a lot, ${i % 7}`));
    const [ta, tb] = createMemoryPair('a', 'b', { manual: true });
    const l = { ta, tb, sa: new SyncSession(a, ta), sb: new SyncSession(b, tb, bOptions) };
    return { a, b, l, fromA: frameTypes(ta), fromB: frameTypes(tb) };
  }

  test('[SYNC19] peers that both send caps stream the catch-up deflated; the other side gets the same ops', async () => {
    const { a, b, l, fromA, fromB } = repeatingCatchUp();
    l.sa.start();
    l.sb.start();
    await settle([l]);
    expect(b.opIds()).toEqual(a.opIds());
    expect(b.doc.stateHash()).toBe(a.doc.stateHash());
    expect(fromA[0]).toBe(8); // caps, then hello
    expect(fromA[1]).toBe(1);
    expect(fromB.slice(0, 2)).toEqual([8, 1]);
    expect(fromA.filter((t) => t === 9 || t === 7).length).toBeGreaterThan(0); // deflated (chunked when > 16 KiB)
    expect(fromA).not.toContain(2); // no plain ops message: every one was ≥ 1 KiB and deflated smaller
    // Deflating is asynchronous; what is sent after a message waits for it: the heads come after every ops frame.
    expect(Math.max(fromA.lastIndexOf(9), fromA.lastIndexOf(7))).toBeLessThan(fromA.indexOf(4));
    const raw = a.doc.log().reduce((n, op) => n + op.bytes.length, 0);
    expect(l.sa.stats()).toMatchObject({ sent: 300, deflate: true, badFrames: 0 });
    expect(l.sa.stats().bytesSent).toBeLessThan(raw * 0.7); // ~62 %: a signature and two ids per op do not deflate
    expect(l.sb.stats()).toMatchObject({ received: 300, badFrames: 0, bytesReceived: l.sa.stats().bytesSent });
    // A live edit of a few ops is smaller than MIN_DEFLATE_BYTES: it goes as it is.
    fromA.length = 0;
    a.change(set('late', 'z'));
    await settle([l]);
    expect(fromA).toEqual([2]);
    expect(b.doc.toJson()).toMatchObject({ late: 'z' });
  });

  test('[SYNC19][SYNC12] a session closed while a message is being deflated says bye at once and sends nothing after', async () => {
    const { l: { ta, tb, sa, sb }, fromA } = repeatingCatchUp();
    sa.start();
    sb.start();
    tb.flush(); // b's caps and hello reach a: its catch-up goes to the deflater
    for (let i = 0; i < 100 && sa.stats().sent === 0; i++) await Promise.resolve();
    expect(sa.stats().sent).toBeGreaterThan(0); // counted as the ops message goes to the deflater
    expect(fromA).toEqual([8, 1]);
    sa.close('leaving');
    await sa.idle();
    expect(fromA).toEqual([8, 1, 6]); // caps, hello, bye: the deflated catch-up was dropped
    ta.flush();
    expect(sb.stats()).toMatchObject({ state: 'closed', closeReason: 'peer said bye: leaving' });
  });

  test('[SYNC19] a peer that sends no caps (version 1) never gets a deflated message; one that gets caps it cannot read counts one bad frame', async () => {
    const { a, b, l: { ta, tb, sa, sb }, fromA, fromB } = repeatingCatchUp({ caps: false });
    sa.start();
    sb.start();
    await settle([{ ta, tb, sa, sb }]);
    expect(b.opIds()).toEqual(a.opIds());
    expect(fromB).not.toContain(8);
    expect(fromA).not.toContain(9);
    expect(sa.stats()).toMatchObject({ deflate: false, badFrames: 0 });
    // A version-1 decoder reads the caps frame as an unknown type: a bad frame, the session goes on (SYNC11).
    const caps = encodeMessage({ type: 'caps', features: 1 });
    expect(decodeMessage(caps).ok).toBe(true);
    const v1 = caps.slice();
    v1[1] = 99; // what "unknown message type" looks like to any decoder
    expect(decodeMessage(v1)).toEqual({ ok: false, reason: 'unknown message type 99' });
  });

  test('[SYNC19] caps after the hello, or a second caps, is a bad frame; unknown feature bits are ignored', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    const [ta, tb] = createMemoryPair('a', 'b', { manual: true });
    const sa = new SyncSession(a, ta);
    sa.start();
    tb.send(encodeMessage({ type: 'caps', features: 1 | 2 | 64 }));
    tb.send(encodeMessage({ type: 'caps', features: 1 }));
    tb.send(encodeMessage({ type: 'hello', replicaId: 'b', versionVector: [], heads: [] }));
    tb.send(encodeMessage({ type: 'caps', features: 1 }));
    tb.flush();
    await sa.idle();
    expect(sa.stats()).toMatchObject({ badFrames: 2, lastBadReason: 'caps after hello', deflate: true, state: 'syncing' });
    void b;
  });

  test('[SYNC16] the catch-up\'s size comes from the peer\'s hello; progress is reported at each new percent while syncing', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    for (let i = 0; i < 300; i++) a.change(set(`k${i % 40}`, 'v'.repeat(200)));
    // b already holds a's first 100 ops, and has 5 of its own.
    for (const op of a.doc.log().slice(0, 100)) await b.receive([op.bytes], 'setup');
    for (let i = 0; i < 5; i++) b.change(set(`b${i}`, 'y'));
    const l = connect(a, b, true, { highWaterBytes: 20_000 });
    expect(l.sb.stats().expected).toBe(0); // nothing announced before the peer's hello
    const seen: { received: number; expected: number; state: SessionState }[] = [];
    l.sb.onProgress(() => { const s = l.sb.stats(); seen.push({ received: s.received, expected: s.expected, state: s.state }); });
    await settle([l]);
    expect(b.opIds()).toEqual(a.opIds());
    expect(l.sb.stats()).toMatchObject({ expected: 200, received: 200, state: 'live' });
    expect(l.sa.stats()).toMatchObject({ expected: 5, received: 5 });
    // Several batches (the high-water mark keeps them small), each a new percent, reported while syncing, up to 200.
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((p) => p.expected === 200 && p.state === 'syncing')).toBe(true);
    const percents = seen.map((p) => progressPercent(p.received, 200));
    expect(new Set(percents).size).toBe(percents.length);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
    expect(seen.at(-1)!.received).toBe(200);
    // Live ops after the catch-up are not progress.
    a.change(set('late', 'z'));
    await settle([l]);
    expect(seen.at(-1)!.received).toBe(200);
    expect(l.sb.stats().received).toBe(201);
  });

  test('[SYNC17] a hello held until another catch-up is done: that peer then sends only what is still missing', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    for (let i = 0; i < 300; i++) a.change(set(`k${i % 40}`, 'v'.repeat(50)));
    const ab = connect(a, b, true);
    await settle([ab]);
    const c = host('c', 3);
    // c meets a first; its session with b starts while that catch-up runs, its hello held.
    const [tca, tac] = createMemoryPair(c.replicaId, a.replicaId, { manual: true });
    const [tcb, tbc] = createMemoryPair(c.replicaId, b.replicaId, { manual: true });
    const ca = new SyncSession(c, tca); const ac = new SyncSession(a, tac);
    const cb = new SyncSession(c, tcb); const bc = new SyncSession(b, tbc);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    ca.start(); ac.start(); bc.start();
    cb.start(gate);
    expect(cb.stats().held).toBe(true);
    expect(ca.stats().held).toBe(false);
    ca.onStateChange((st) => { if (st === 'live') open(); });
    const links = [{ ta: tca, tb: tac, sa: ca, sb: ac }, { ta: tcb, tb: tbc, sa: cb, sb: bc }];
    // Until the gate opens, c sends b nothing at all (a hello first, always: SYNC1), and b's frames wait.
    let sentToB = 0;
    const send = tcb.send.bind(tcb);
    tcb.send = (f) => { if (ca.currentState !== 'live') sentToB++; send(f); };
    // (c's session with b is idle only once its gate opens: drive the others until then.)
    for (let round = 0; round < 10_000 && ca.currentState !== 'live'; round++) {
      tca.flush(); tac.flush(); tcb.flush(); tbc.flush();
      await ca.idle(); await ac.idle(); await bc.idle();
    }
    expect(ca.currentState).toBe('live');
    await settle(links);
    expect(cb.stats().held).toBe(false);
    expect(sentToB).toBe(0);
    expect(c.opIds()).toEqual(a.opIds());
    // b's catch-up was computed from the hello c sent after a's: nothing left to send.
    expect(bc.stats()).toMatchObject({ sent: 0, state: 'live' });
    expect(cb.stats()).toMatchObject({ expected: 0, received: 0, state: 'live', badFrames: 0 });
    expect(bc.stats().badFrames).toBe(0);
  });

  test('[SYNC16] a catch-up\'s percent: whole, capped at 100, 0 when nothing was announced', () => {
    expect([0, 1, 99, 100, 150].map((r) => progressPercent(r, 100))).toEqual([0, 1, 99, 100, 100]);
    expect(progressPercent(5, 0)).toBe(0);
    expect(progressPercent(99_999, 100_000)).toBe(99);
  });

  test('[SYNC9] a peer that stops reading is dropped after 256 queued ops and catches up on reconnect', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    const l = connect(a, b, true, { highWaterBytes: 4096 });
    await settle([l]);
    let n = 0;
    while (l.sa.stats().state !== 'closed') { a.change(set(`k${n % 10}`, `v${n}`)); n++; }
    expect(l.sa.stats().closeReason).toBe('slow peer');
    expect(n).toBeGreaterThan(256);
    expect(n).toBeLessThan(256 + 60); // 4 KiB of frames in the transport, then 256 queued
    const again = connect(a, b, true);
    await settle([again]);
    expect(b.opIds()).toEqual(a.opIds());
    expect(b.doc.stateHash()).toBe(a.doc.stateHash());
  });

  test('[SYNC11] garbage frames are ignored and counted; the K-th disconnects the peer', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    const l = connect(a, b, true, { maxBadFrames: 4 });
    await settle([l]);
    l.tb.send(new Uint8Array([1, 99])); // unknown type
    l.tb.send(new Uint8Array([7, 1])); // unknown version
    l.tb.send(encodeMessage({ type: 'hello', replicaId: 'b', versionVector: [], heads: [] })); // second hello
    l.tb.flush();
    await l.sa.idle();
    expect(l.sa.stats()).toMatchObject({ badFrames: 3, state: 'live' });
    b.change(set('still', 'works'));
    await settle([l]);
    expect(a.doc.toJson()).toMatchObject({ still: 'works' });
    l.tb.send(new Uint8Array(0));
    l.tb.flush();
    expect(l.sa.stats().state).toBe('closed');
    expect(l.sa.stats().closeReason).toMatch(/too many bad frames/);
  });

  test('[SYNC11] forged ops in a well-formed message are rejected by the host, not applied', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    const l = connect(a, b, true);
    await settle([l]);
    const op = new Document().change(key(5), set('forged', 'yes'));
    const bytes = op.bytes.slice();
    bytes[bytes.length - 1]! ^= 1;
    l.tb.send(encodeMessage({ type: 'ops', ops: [bytes] }));
    await settle([l]);
    expect(a.has(op.id)).toBe(false);
    expect(a.rejections.map((r) => r.reason)).toEqual([expect.stringMatching(/signature/)]);
    expect(l.sa.stats().badFrames).toBe(0);
  });

  test('[SYNC1] auto-delivering transports sync without a driver', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    a.change(set('x', '1'));
    const l = connect(a, b);
    await auto(l.sa, l.sb);
    expect(b.doc.toJson()).toMatchObject({ x: '1' });
    expect(l.sa.stats().state).toBe('live');
  });

  test('[SYNC13] presence messages reach the peer', async () => {
    const a = host('a', 1);
    const b = host('b', 2);
    const l = connect(a, b, true);
    const seen: { name: string; state: string }[] = [];
    l.sb.onPresence((p) => seen.push(p));
    await settle([l]);
    l.sa.sendPresence('Ada', '{"story":"s1"}');
    await settle([l]);
    expect(seen).toEqual([{ name: 'Ada', state: '{"story":"s1"}' }]);
  });
});
