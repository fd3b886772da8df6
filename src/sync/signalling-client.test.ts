// The signalling client against the REAL relay on loopback (docs/SPEC.md
// RTC7–RTC14). Node 20 has no global WebSocket, so `ws` is injected. Backoff,
// keepalive and pacing run on a manual clock; every wait is on a socket or
// state event, never a sleep.
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { attachRelay } from '../../relay/relay';
import { startRelay, TestClient, type TestRelay } from '../../relay/test-client';
import { Prng } from '../../tests/support/prng';
import { createRoomCipher, type RoomCipher } from './room-crypto';
import { createRoom, type RandomBytes, type RoomCredentials } from './room-link';
import {
  backoffDelay,
  createSignallingClient,
  type PeerEvent,
  type SignallingClient,
  type SignallingClock,
  type SignallingOptions,
  type SignallingSocket,
  type SignallingState,
} from './signalling-client';

/** Timers that fire only when the test advances time. */
class ManualClock implements SignallingClock {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);
  /** Delays (from now) of pending timers, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

function seeded(seed: number): RandomBytes {
  const prng = new Prng(seed);
  return (n) => prng.bytes(n);
}

const relays: TestRelay[] = [];
const clients: SignallingClient[] = [];
const rawSent: string[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  rawSent.length = 0;
});

const wsFactory = (url: string): SignallingSocket => {
  const ws = new WebSocket(url);
  const send = ws.send.bind(ws);
  // Records what the relay is shown (RTC5).
  (ws as unknown as { send: (d: string) => void }).send = (d: string) => {
    rawSent.push(d);
    send(d);
  };
  return ws as unknown as SignallingSocket;
};

async function relay(): Promise<TestRelay> {
  const r = await startRelay();
  relays.push(r);
  return r;
}

interface Probe {
  client: SignallingClient;
  events: PeerEvent[];
  signals: Array<{ from: string; data: unknown }>;
}

function client(r: TestRelay, cipher: RoomCipher, replicaId: string, extra: Partial<SignallingOptions> = {}): Probe {
  const prng = new Prng(replicaId.length * 7919 + replicaId.charCodeAt(0));
  const c = createSignallingClient({
    url: r.url,
    cipher,
    replicaId,
    name: `name of ${replicaId}`,
    createSocket: wsFactory,
    clock: new ManualClock(),
    random: () => prng.float(),
    ...extra,
  });
  clients.push(c);
  const probe: Probe = { client: c, events: [], signals: [] };
  c.onPeer((e) => probe.events.push(e));
  c.onSignal((from, data) => probe.signals.push({ from, data }));
  return probe;
}

/** Resolves once `c`'s state satisfies `done` (now or after a later change). */
function until(c: SignallingClient, done: (s: SignallingState) => boolean): Promise<SignallingState> {
  if (done(c.state)) return Promise.resolve(c.state);
  return new Promise((resolve) => {
    const off = c.onState((s) => {
      if (done(s)) {
        off();
        resolve(s);
      }
    });
  });
}

function untilPeer(p: Probe, done: (e: PeerEvent) => boolean): Promise<PeerEvent> {
  const seen = p.events.find(done);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const off = p.client.onPeer((e) => {
      if (done(e)) {
        off();
        resolve(e);
      }
    });
  });
}

function untilSignal(p: Probe, from: string): Promise<unknown> {
  return new Promise((resolve) => {
    const off = p.client.onSignal((f, data) => {
      if (f === from) {
        off();
        resolve(data);
      }
    });
  });
}

const joined = (id: string) => (e: PeerEvent) => e.type === 'joined' && e.peer.id === id;

async function roomOf(seed: number): Promise<{ room: RoomCredentials; cipher: RoomCipher }> {
  const room = createRoom(seeded(seed));
  return { room, cipher: await createRoomCipher(room) };
}

describe('signalling client over the real relay', () => {
  test('[RTC7][RTC8][RTC9] peers of a room announce themselves and learn of each other', async () => {
    const r = await relay();
    const { cipher } = await roomOf(1);
    const a = client(r, cipher, 'replica-a');
    await until(a.client, (s) => s.status === 'open');
    const b = client(r, cipher, 'replica-b');
    const [seenByA, seenByB] = await Promise.all([untilPeer(a, joined('replica-b')), untilPeer(b, joined('replica-a'))]);
    expect(seenByA).toMatchObject({ peer: { id: 'replica-b', name: 'name of replica-b' } });
    expect(seenByB).toMatchObject({ peer: { id: 'replica-a', name: 'name of replica-a' } });
    expect(a.client.peers().map((p) => p.id)).toEqual(['replica-b']);
  });

  test('[RTC13][RTC24] a signal reaches its addressee only, in order', async () => {
    const r = await relay();
    const { cipher } = await roomOf(2);
    const [a, b, c] = ['replica-a', 'replica-b', 'replica-c'].map((id) => client(r, cipher, id));
    await Promise.all([
      untilPeer(a!, joined('replica-b')), untilPeer(a!, joined('replica-c')),
      untilPeer(b!, joined('replica-a')), untilPeer(c!, joined('replica-a')),
    ]);
    const atB = untilSignal(b!, 'replica-a');
    a!.client.signal('replica-b', { n: 1 });
    a!.client.signal('replica-b', { n: 2 });
    a!.client.signal('replica-c', { n: 3 });
    expect(await atB).toEqual({ n: 1 });
    await untilSignal(c!, 'replica-a');
    expect(b!.signals).toEqual([{ from: 'replica-a', data: { n: 1 } }, { from: 'replica-a', data: { n: 2 } }]);
    expect(c!.signals).toEqual([{ from: 'replica-a', data: { n: 3 } }]);
  });

  test('[RTC4][RTC5] the relay sees the topic hash and sealed strings only', async () => {
    const r = await relay();
    const { room, cipher } = await roomOf(3);
    const a = client(r, cipher, 'replica-a');
    const b = client(r, cipher, 'replica-b');
    await untilPeer(b, joined('replica-a'));
    const got = untilSignal(b, 'replica-a');
    a.client.signal('replica-b', { sdp: 'v=0 secret-sdp' });
    await got;
    expect(rawSent.length).toBeGreaterThan(3);
    for (const frame of rawSent) {
      for (const secret of [room.roomId, room.secret, 'replica-a', 'name of', 'secret-sdp']) expect(frame).not.toContain(secret);
    }
  });

  test('[RTC12] a peer holding another secret is told "wrong room secret"', async () => {
    const r = await relay();
    const { room, cipher } = await roomOf(4);
    const a = client(r, cipher, 'replica-a');
    const b = client(r, cipher, 'replica-b');
    await untilPeer(a, joined('replica-b'));
    const wrong = await createRoomCipher({ roomId: room.roomId, secret: createRoom(seeded(99)).secret });
    const intruder = client(r, wrong, 'replica-x');
    const state = await until(intruder.client, (s) => s.wrongSecret);
    expect(state.wrongSecret).toBe(true);
    expect(intruder.client.peers()).toEqual([]);
    expect(a.client.peers().map((p) => p.id)).toEqual(['replica-b']); // never admitted
    expect(a.client.state.wrongSecret).toBe(false); // a reads b fine, so its own key is right
  });

  test('[RTC14] hostile frames on the topic are ignored without a throw', async () => {
    const r = await relay();
    const { cipher } = await roomOf(5);
    const a = client(r, cipher, 'replica-a');
    await until(a.client, (s) => s.status === 'open');
    const b = client(r, cipher, 'replica-b');
    await untilPeer(a, joined('replica-b'));
    const raw = await TestClient.open(r.url);
    const junk = [
      'not base64!', '', 'A'.repeat(60_000),
      await cipher.seal('a string'), await cipher.seal(null), await cipher.seal({ type: 'announce' }),
      await cipher.seal({ type: 'signal', from: 'replica-x', to: 'replica-a' }), // no data
      await cipher.seal({ type: 'announce', from: 'x'.repeat(500), name: 'n', session: 's' }),
      await cipher.seal({ type: 'announce', from: 'replica-a', name: 'me?', session: 's' }), // our own id
      await cipher.seal({ type: 'leave', from: 'replica-b', session: 'not-its-session' }),
    ];
    for (const data of junk) raw.send({ type: 'publish', topic: cipher.topic, data });
    raw.ws.terminate();
    const got = untilSignal(a, 'replica-b');
    b.client.signal('replica-a', 'still works');
    expect(await got).toBe('still works');
    expect(a.client.peers().map((p) => p.id)).toEqual(['replica-b']);
    expect(a.events).toEqual([{ type: 'joined', peer: expect.objectContaining({ id: 'replica-b' }) }]);
  });

  test('[RTC9] a closing client says goodbye and its peers see it leave', async () => {
    const r = await relay();
    const { cipher } = await roomOf(6);
    const a = client(r, cipher, 'replica-a');
    const b = client(r, cipher, 'replica-b');
    await untilPeer(a, joined('replica-b'));
    b.client.close();
    await untilPeer(a, (e) => e.type === 'left' && e.peerId === 'replica-b');
    expect(a.client.peers()).toEqual([]);
    expect(b.client.state).toMatchObject({ status: 'closed', stopped: true });
  });

  test('[RTC10] after the relay restarts, clients reconnect with backoff and re-subscribe', async () => {
    const r = await relay();
    const { cipher } = await roomOf(7);
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = client(r, cipher, 'replica-a', { clock: clockA });
    const b = client(r, cipher, 'replica-b', { clock: clockB });
    await untilPeer(a, joined('replica-b'));
    await untilPeer(b, joined('replica-a'));

    await r.relay.close(); // every connection gets 1001; the HTTP server keeps its port
    await Promise.all([until(a.client, (s) => s.status === 'closed'), until(b.client, (s) => s.status === 'closed')]);
    // The first retry waits 1 s (+ ≤ 25 % jitter), not zero and not 30 s.
    const retryA = clockA.pending()[0]!;
    expect(retryA).toBeGreaterThanOrEqual(1_000);
    expect(retryA).toBeLessThanOrEqual(1_250);
    expect(a.client.state.failures).toBe(0); // it was open: a drop is not a failed attempt

    r.relay = attachRelay(r.server);
    clockA.advance(retryA);
    clockB.advance(clockB.pending()[0]!);
    await Promise.all([until(a.client, (s) => s.status === 'open'), until(b.client, (s) => s.status === 'open')]);
    // Re-subscribed on the new relay: a signal gets through again.
    const got = untilSignal(b, 'replica-a');
    a.client.signal('replica-b', 'after restart');
    expect(await got).toBe('after restart');
    expect(r.relay.stats()).toEqual({ connections: 2, topics: 1 });
  });

  test('[RTC11] repeated failures back off 1 s → 30 s and mark the relay unreachable', async () => {
    const r = await relay();
    const url = r.url;
    await r.stop();
    relays.splice(relays.indexOf(r), 1);
    const clock = new ManualClock();
    const { cipher } = await roomOf(8);
    const c = createSignallingClient({ url, cipher, replicaId: 'lonely', name: 'l', createSocket: wsFactory, clock, random: () => 0 });
    clients.push(c);
    const delays: number[] = [];
    for (let failures = 1; failures <= 7; failures++) {
      const state = await until(c, (s) => s.status === 'closed' && s.failures === failures);
      expect(state.unreachable).toBe(failures >= 3);
      const delay = clock.pending()[0]!;
      delays.push(delay);
      clock.advance(delay);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(backoffDelay(0, 0)).toBe(1_000);
    expect(backoffDelay(0, 0.999)).toBeLessThan(1_250);
    expect(backoffDelay(50, 0.999)).toBe(30_000);
  });
});

describe('signalling keepalive (fake socket)', () => {
  test('[RTC10] a ping without a pong in time drops the socket and reconnects', async () => {
    const clock = new ManualClock();
    const sockets: Array<SignallingSocket & { sent: string[] }> = [];
    const createSocket = (): SignallingSocket => {
      const s = { sent: [] as string[], send(d: string) { this.sent.push(d); }, close() {}, onopen: null, onmessage: null, onclose: null, onerror: null };
      sockets.push(s);
      return s;
    };
    const { cipher } = await roomOf(9);
    const c = createSignallingClient({
      url: 'ws://unused', cipher, replicaId: 'r', name: 'n', createSocket, clock, random: () => 0,
      pingIntervalMs: 1_000, pongTimeoutMs: 500, announceIntervalMs: 60_000,
    });
    clients.push(c);
    sockets[0]!.onopen!(undefined as never);
    expect(c.state.status).toBe('open');
    clock.advance(1_000);
    expect(sockets[0]!.sent).toContain('{"type":"ping"}');
    sockets[0]!.onmessage!({ data: '{"type":"pong"}' });
    clock.advance(1_000); // next ping, answered in time again
    sockets[0]!.onmessage!({ data: '{"type":"pong"}' });
    expect(c.state.status).toBe('open');
    clock.advance(1_000); // this ping goes unanswered
    clock.advance(500);
    expect(c.state.status).toBe('closed');
    clock.advance(1_000);
    expect(sockets.length).toBe(2);
    expect(c.state.status).toBe('connecting');
  });
});
